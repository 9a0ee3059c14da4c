package com.vangoframework.rhone.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.web.SessionDao;
import com.vangoframework.rhone.web.Sessions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;

/**
 * The dashboard as a signed-in person's plain HTTP client sees it: a session made the way sign-in
 * makes one, pages fetched with its cookie (redirects not followed), forms posted, and the CSRF
 * token read off a page.
 */
public final class DashboardClient {

    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");

    private final String baseUrl;
    private final Jdbi jdbi;

    public DashboardClient(String baseUrl, Jdbi jdbi) {
        this.baseUrl = baseUrl;
        this.jdbi = jdbi;
    }

    /** A user named {@code login}, a member of {@code team} unless it is null. */
    public long user(Team team, String login) {
        return jdbi.withExtension(SessionDao.class, dao -> {
            SessionDao.User u = dao.upsertUser(login);
            if (team != null) {
                dao.addMember(team.id(), u.id());
            }
            return u.id();
        });
    }

    /** A session cookie's value for that user. */
    public String session(Team team, String login) {
        return new Sessions(jdbi, Clock.systemUTC()).create(user(team, login));
    }

    public HttpResponse<String> get(String path, String session) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(baseUrl + path));
        if (session != null) {
            r.header("Cookie", Sessions.COOKIE + "=" + session);
        }
        return HTTP.send(r.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String session, String form) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .header("Content-Type", "application/x-www-form-urlencoded");
        if (session != null) {
            r.header("Cookie", Sessions.COOKIE + "=" + session);
        }
        return HTTP.send(r.POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The CSRF token of the page's first form. */
    public static String csrfOf(HttpResponse<String> page) {
        Matcher m = CSRF.matcher(page.body());
        assertThat(m.find()).as("the page has a form with a CSRF token").isTrue();
        return m.group(1);
    }
}
