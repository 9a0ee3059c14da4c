package com.vangoframework.rhone.web;

import com.vangoframework.rhone.github.GitHubOAuth;
import io.dropwizard.auth.Auth;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signing in and out over HTTP: one-time links from {@code login-link}, and "Sign in with GitHub"
 * (GitHub's side in {@link GitHubOAuth}; whom an account signs in, {@link Sessions#userFor}). The
 * OAuth {@code state} lives in a short-lived HttpOnly cookie and must come back unchanged.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML + ";charset=utf-8")
public final class SignInResource {

    static final String STATE_COOKIE = "rhone_oauth_state";
    private static final Logger LOG = LoggerFactory.getLogger(SignInResource.class);

    private final Sessions sessions;
    private final GitHubOAuth github;
    private final DashboardConfiguration config;
    private final String publicUrl;

    public SignInResource(Sessions sessions, GitHubOAuth github, DashboardConfiguration config, String publicUrl) {
        this.sessions = sessions;
        this.github = github;
        this.config = config;
        this.publicUrl = publicUrl;
    }

    @GET
    @Path("login")
    public Page login(@QueryParam("next") String next) {
        return new Page("login", "Sign in", null).with("next", Pages.safeNext(next))
                .with("github", config.oauthEnabled());
    }

    /**
     * The link is {@code /login/link#TOKEN}: the token is in the fragment, which browsers never
     * send, so it stays out of request logs and proxies; the page's script copies it into the
     * form. The page only shows a button, so a link preview or scanner signs nobody in.
     */
    @GET
    @Path("login/link")
    public Page link() {
        return new Page("login_link", "Sign in", null);
    }

    @POST
    @Path("login/link")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response useLink(@FormParam("token") String token,
                            @jakarta.ws.rs.HeaderParam("Sec-Fetch-Site") String fetchSite) {
        // No session exists yet, so no CSRF token either: refuse what a browser says came from
        // another site (someone signing a visitor into the attacker's account).
        if (fetchSite != null && !"same-origin".equals(fetchSite) && !"none".equals(fetchSite)) {
            throw Pages.error(403, "Sign-in refused", "This sign-in form was sent from another site.", null);
        }
        Optional<Long> user = sessions.useLoginLink(token);
        if (user.isEmpty()) {
            throw Pages.error(400, "Link not valid", "This sign-in link is unknown, expired or already used. "
                    + "Ask for a new one (login-link --user LOGIN).", null);
        }
        return signedIn(user.get(), "/apps");
    }

    @POST
    @Path("logout")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response logout(@Auth Optional<Viewer> viewer, @CookieParam(Sessions.COOKIE) String session,
                           @FormParam("csrf") String csrf) {
        // Signed out already: nothing to protect. The cookie names the session to end.
        viewer.ifPresent(v -> Pages.requireCsrf(v, csrf));
        sessions.end(session);
        return Response.seeOther(URI.create("/login")).cookie(cookie(Sessions.COOKIE, "", "/", 0)).build();
    }

    @GET
    @Path("login/github")
    public Response github(@QueryParam("next") String next) {
        if (!config.oauthEnabled()) {
            throw Pages.error(404, "Not available", "Sign-in with GitHub is not configured on this service "
                    + "(GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET).", null);
        }
        String state = Sessions.random();
        String authorize = github.authorizeUrl(state, callbackUrl());
        // Where to go afterwards rides along in the state cookie ("state.next"), never to GitHub.
        String back = java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(Pages.safeNext(next).getBytes(StandardCharsets.UTF_8));
        return Response.seeOther(URI.create(authorize))
                .cookie(cookie(STATE_COOKIE, state + "." + back, "/login/github", 600)).build();
    }

    @GET
    @Path("login/github/callback")
    public Response callback(@QueryParam("code") String code, @QueryParam("state") String state,
                             @CookieParam(STATE_COOKIE) String stateCookie) throws InterruptedException {
        int dot = stateCookie == null ? -1 : stateCookie.indexOf('.');
        String expected = dot < 0 ? stateCookie : stateCookie.substring(0, dot);
        String next = "/apps";
        if (dot >= 0) {
            try {
                next = new String(java.util.Base64.getUrlDecoder().decode(stateCookie.substring(dot + 1)),
                        StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                next = "/apps";
            }
        }
        if (state == null || expected == null || !MessageDigest.isEqual(state.getBytes(StandardCharsets.UTF_8),
                expected.getBytes(StandardCharsets.UTF_8))) {
            throw Pages.error(400, "Sign-in refused", "The sign-in did not come back from the request this "
                    + "browser started (state mismatch). Start again from the sign-in page.", null);
        }
        if (code == null || code.isBlank() || !config.oauthEnabled()) {
            throw Pages.error(400, "Sign-in refused", "GitHub did not send an authorization code.", null);
        }
        GitHubOAuth.Account account;
        try {
            account = github.account(code, callbackUrl());
        } catch (IOException e) {
            LOG.warn("GitHub sign-in failed", e);
            throw Pages.error(502, "GitHub did not answer", "Signing in with GitHub failed; try again.", null);
        }
        Optional<Long> userId = sessions.userFor(account);
        if (userId.isEmpty()) {
            String login = account.login();
            // The same words whether or not a user of that login exists: the page tells nobody who is a member.
            throw Pages.error(403, "Not a member", "The GitHub account " + login + " is not a member of any team "
                    + "here: ask an administrator to run add-member --team TEAM --user " + login + " (again, if you "
                    + "were added while GitHub could not be asked for your account id), or for a sign-in link "
                    + "from login-link --user " + login + ".", null);
        }
        return signedIn(userId.get(), next);
    }

    private Response signedIn(long userId, String next) {
        String id = sessions.create(userId);
        return Response.seeOther(URI.create(Pages.safeNext(next)))
                .cookie(cookie(Sessions.COOKIE, id, "/", (int) Sessions.SESSION_LIFETIME.toSeconds()),
                        cookie(STATE_COOKIE, "", "/login/github", 0))
                .build();
    }

    private NewCookie cookie(String name, String value, String path, int maxAge) {
        return new NewCookie.Builder(name).value(value).path(path).maxAge(maxAge).httpOnly(true)
                .secure(publicUrl.startsWith("https://")).sameSite(NewCookie.SameSite.LAX).build();
    }

    private String callbackUrl() {
        return publicUrl + "/login/github/callback";
    }
}
