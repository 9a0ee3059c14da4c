package com.vangoframework.rhone.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signing in and out: one-time links from {@code login-link}, and "Sign in with GitHub" (the
 * App's OAuth web flow; people are matched by GitHub id, or by login the first time). The OAuth
 * {@code state} lives in a short-lived HttpOnly cookie and must come back unchanged.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML + ";charset=utf-8")
public final class SignInResource {

    static final String STATE_COOKIE = "rhone_oauth_state";
    private static final Logger LOG = LoggerFactory.getLogger(SignInResource.class);

    private final Sessions sessions;
    private final Jdbi jdbi;
    private final DashboardConfiguration config;
    private final String publicUrl;
    private final String gitHubUrl;
    private final String apiUrl;
    private final ObjectMapper json;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public SignInResource(Sessions sessions, Jdbi jdbi, DashboardConfiguration config, String publicUrl,
                          String gitHubUrl, String apiUrl, ObjectMapper json) {
        this.sessions = sessions;
        this.jdbi = jdbi;
        this.config = config;
        this.publicUrl = publicUrl;
        this.gitHubUrl = gitHubUrl;
        this.apiUrl = apiUrl;
        this.json = json;
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
    public Response logout(@CookieParam(Sessions.COOKIE) String session, @FormParam("csrf") String csrf) {
        Optional<Viewer> viewer = sessions.viewer(session);
        if (viewer.isPresent() && !Sessions.csrfMatches(viewer.get(), csrf)) {
            throw Pages.csrfRefused(viewer.get());
        }
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
        String authorize = gitHubUrl + "/login/oauth/authorize?client_id=" + enc(config.getOauthClientId())
                + "&redirect_uri=" + enc(callbackUrl()) + "&state=" + enc(state);
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
        JsonNode user;
        try {
            String token = exchange(code);
            user = get(apiUrl + "/user", token);
        } catch (IOException e) {
            LOG.warn("GitHub sign-in failed: {}", e.getMessage());
            throw Pages.error(502, "GitHub did not answer", "Signing in with GitHub failed; try again.", null);
        }
        long githubId = user.path("id").asLong();
        String login = user.path("login").asText("");
        String name = user.path("name").isTextual() ? user.path("name").asText() : null;
        Optional<Long> userId = jdbi.inTransaction(h -> {
            SessionDao dao = h.attach(SessionDao.class);
            Optional<SessionDao.User> found = dao.userByGithubId(githubId);
            if (found.isEmpty()) {
                found = dao.userByLogin(login).filter(u -> u.githubId() == null);
                found.ifPresent(u -> dao.linkGithub(u.id(), githubId, name));
            }
            return found.map(SessionDao.User::id).filter(id -> !dao.teamsOf(id).isEmpty());
        });
        if (userId.isEmpty()) {
            throw Pages.error(403, "Not a member", "The GitHub account " + login + " is not a member of any team "
                    + "here. Ask an administrator to run: add-member --team TEAM --user " + login, null);
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

    private String exchange(String code) throws IOException, InterruptedException {
        String form = "client_id=" + enc(config.getOauthClientId()) + "&client_secret="
                + enc(config.getOauthClientSecret()) + "&code=" + enc(code) + "&redirect_uri=" + enc(callbackUrl());
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(gitHubUrl
                        + "/login/oauth/access_token")).timeout(Duration.ofSeconds(15))
                .header("Accept", "application/json").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = json.readTree(answer.body());
        if (answer.statusCode() != 200 || !body.path("access_token").isTextual()) {
            // GitHub's error fields say what went wrong and carry no secret.
            throw new IOException("token exchange answered " + answer.statusCode() + " "
                    + body.path("error").asText("") + " " + body.path("error_description").asText(""));
        }
        return body.path("access_token").asText();
    }

    private JsonNode get(String url, String token) throws IOException, InterruptedException {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15))
                .header("Accept", "application/vnd.github+json").header("Authorization", "Bearer " + token)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) {
            throw new IOException(url + " answered " + answer.statusCode());
        }
        return json.readTree(answer.body());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
