package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.TeamPrincipal;
import io.dropwizard.auth.AuthFilter;
import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;

/**
 * API authentication from {@code Authorization: Bearer <token>} only (never a query parameter:
 * a token in a URL ends up in access logs and browser history). A missing token and a token that
 * is not valid get different sentences, both 401 with {@code WWW-Authenticate}.
 */
@Priority(Priorities.AUTHENTICATION)
public final class BearerTokenFilter extends AuthFilter<String, TeamPrincipal> {

    static final String MISSING = "an API token is required: send Authorization: Bearer <token> "
            + "(make one with the create-token command)";
    static final String NOT_VALID = "the API token is not valid: it is mistyped or was revoked; "
            + "make a new one with the create-token command";

    private BearerTokenFilter() {
    }

    @Override
    public void filter(ContainerRequestContext request) {
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || header.isBlank()) {
            throw unauthorized(MISSING);
        }
        int space = header.indexOf(' ');
        if (space < 0 || !header.substring(0, space).equalsIgnoreCase(prefix)) {
            throw unauthorized("the Authorization header must be 'Bearer <token>'");
        }
        if (!authenticate(request, header.substring(space + 1).strip(), "Bearer")) {
            throw unauthorized(NOT_VALID);
        }
    }

    private WebApplicationException unauthorized(String message) {
        return new WebApplicationException(message, ApiErrors.response(401, message)
                .header(HttpHeaders.WWW_AUTHENTICATE, prefix + " realm=\"" + realm + "\"").build());
    }

    public static final class Builder extends AuthFilterBuilder<String, TeamPrincipal, BearerTokenFilter> {
        @Override
        protected BearerTokenFilter newInstance() {
            return new BearerTokenFilter();
        }
    }
}
