package com.vangoframework.rhone.web;

import io.dropwizard.auth.AuthFilter;
import jakarta.annotation.Priority;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Dashboard authentication from the session cookie, for routes that take {@code @Auth Viewer}.
 * Without a live session a page redirects to the sign-in page, which comes back to it; a form
 * POST is a 403 page instead (a redirect would lose what was submitted, so the person is told to
 * sign in and repeat it). The CSRF token is the forms' own check, against the viewer this yields.
 */
@Priority(Priorities.AUTHENTICATION)
public final class SessionCookieFilter extends AuthFilter<String, Viewer> {

    private SessionCookieFilter() {
    }

    @Override
    public void filter(ContainerRequestContext request) {
        Cookie cookie = request.getCookies().get(Sessions.COOKIE);
        if (!authenticate(request, cookie == null ? null : cookie.getValue(), "session")) {
            throw signedOut(request);
        }
    }

    private static WebApplicationException signedOut(ContainerRequestContext request) {
        if (HttpMethod.POST.equals(request.getMethod())) {
            return Pages.error(403, "Signed out", "Your session has ended. Sign in again and repeat the action.",
                    null);
        }
        String next = pageOf("/" + request.getUriInfo().getPath());
        return new WebApplicationException(Response.seeOther(
                URI.create("/login?next=" + URLEncoder.encode(next, StandardCharsets.UTF_8))).build());
    }

    /** A deployment's log lines and log file come back to the deployment's page after a sign-in. */
    static String pageOf(String path) {
        return path.replaceFirst("/deployments/([^/]+)/(lines|log\\.txt)$", "/deployments/$1");
    }

    public static final class Builder extends AuthFilterBuilder<String, Viewer, SessionCookieFilter> {
        @Override
        protected SessionCookieFilter newInstance() {
            return new SessionCookieFilter();
        }
    }
}
