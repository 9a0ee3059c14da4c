package com.vangoframework.rhone.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.Deployment;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.Writer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@code GET /events/apps} (every app of the viewer's teams) and {@code GET /events/apps/{slug}}
 * (one app): deployments as Server-Sent Events, so the app list and an app's page show new
 * deployments, statuses, commits and durations without a reload.
 *
 * <ul>
 *   <li>{@code deployment} events carry a {@link DeploymentView} as JSON, whenever a deployment
 *       is requested, changes status or learns its commit; their {@code id} is a time cursor
 *       (epoch milliseconds of the last change sent), so a reconnect with {@code Last-Event-ID}
 *       (or a page that opens the stream with {@code ?since=} the time it was rendered) is first
 *       sent what changed since then;</li>
 *   <li>a comment line as a heartbeat; at each heartbeat the session is looked at again, and a
 *       stream whose session ended or whose teams changed ends (the browser reconnects with the
 *       scope it now has, or is refused).</li>
 * </ul>
 * Scoped like every app route: another team's app is a 404, no session a 401. Open streams count
 * against the node's {@link StreamSlots} like the log streams: one app's page against the app's
 * team, the list of every app against each of the viewer's teams.
 */
public final class AppEventsFilter implements Filter {

    private static final Pattern PATH = Pattern.compile("/events/apps(?:/([a-z0-9][a-z0-9-]{0,62}))?");
    /** Catching up reads this much further back than asked: commits finish after their updated_at. */
    static final Duration CATCH_UP_OVERLAP = Duration.ofSeconds(30);

    private final Sessions sessions;
    private final AppAccess access;
    private final LiveApps live;
    private final DashboardDao dashboard;
    private final CommitLinks links;
    private final ObjectMapper json;
    private final long heartbeatMillis;
    private final StreamSlots slots;
    private final Clock clock;

    public AppEventsFilter(Sessions sessions, AppAccess access, LiveApps live, DashboardDao dashboard,
                           CommitLinks links, ObjectMapper json, Duration heartbeat, StreamSlots slots, Clock clock) {
        this.sessions = sessions;
        this.access = access;
        this.live = live;
        this.dashboard = dashboard;
        this.links = links;
        this.json = json;
        this.heartbeatMillis = heartbeat.toMillis();
        this.slots = slots;
        this.clock = clock;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        Matcher path = PATH.matcher(request.getRequestURI());
        if (!"GET".equals(request.getMethod()) || !path.matches()) {
            chain.doFilter(req, res);
            return;
        }
        HttpServletResponse response = (HttpServletResponse) res;
        String cookie = Sessions.cookie(request);
        Optional<Viewer> viewer = sessions.viewer(cookie);
        if (viewer.isEmpty()) {
            EventStreams.plain(response, 401, "sign in to follow your apps");
            return;
        }
        Long appId = null;
        Set<Long> shown = viewer.get().teamIds();
        if (path.group(1) != null) {
            Optional<App> app = access.app(viewer.get(), path.group(1));
            if (app.isEmpty()) {
                EventStreams.plain(response, 404, "There is no app named '" + path.group(1) + "' in your teams.");
                return;
            }
            appId = app.get().id();
            shown = Set.of(app.get().teamId());
        }
        StreamSlots.Admission admission = slots.admit(cookie, shown);
        if (!admission.admitted()) {
            EventStreams.refused(response, admission);
            return;
        }
        try (StreamSlots.Slot slot = admission.slot();
             LiveApps.Subscription sub = live.subscribe(viewer.get().teamIds(), appId)) {
            // The browser's own Last-Event-ID wins over the page's starting point.
            Optional<Long> since = EventStreams.cursor(request.getHeader("Last-Event-ID")).filter(v -> v > 0)
                    .or(() -> EventStreams.cursor(request.getParameter("since")).filter(v -> v > 0));
            Writer w = EventStreams.open(response);
            new Stream(w, response, sub, cookie, path.group(1)).run(since);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException gone) {
            // the viewer left
        }
    }

    /** One open stream. */
    private final class Stream {
        private final Writer w;
        private final HttpServletResponse response;
        private final LiveApps.Subscription sub;
        private final String cookie;
        private final String slug;
        private long cursor;
        private long checkedAt = System.nanoTime();

        Stream(Writer w, HttpServletResponse response, LiveApps.Subscription sub, String cookie, String slug) {
            this.w = w;
            this.response = response;
            this.sub = sub;
            this.cookie = cookie;
            this.slug = slug;
        }

        void run(Optional<Long> since) throws IOException, InterruptedException {
            cursor = since.orElse(clock.millis());
            w.write("retry: 2000\n\n");
            // Subscribed before reading: a change during the read is sent twice at worst, never lost.
            if (since.isPresent()) {
                catchUp();
            }
            flush();
            while (true) {
                LiveApps.Batch batch = sub.take(heartbeatMillis);
                if (batch.ended()) {
                    return;
                }
                // Access is read again once a heartbeat has passed since the last check, busy or
                // not: a removed member must not keep a stream alive by its team's own traffic.
                if (System.nanoTime() - checkedAt >= heartbeatMillis * 1_000_000L) {
                    if (!stillAllowed()) {
                        return;
                    }
                    checkedAt = System.nanoTime();
                }
                if (batch.catchUp()) {
                    catchUp();
                }
                send(batch.changes());
                if (batch.changes().isEmpty() && !batch.catchUp()) {
                    w.write(": heartbeat\n\n");
                }
                flush();
            }
        }

        private void catchUp() throws IOException {
            long[] teams = sub.teamIds().stream().mapToLong(Long::longValue).toArray();
            List<Deployment> rows = dashboard.changedSince(teams, sub.appId(),
                    Instant.ofEpochMilli(cursor).minus(CATCH_UP_OVERLAP));
            Map<Long, App> apps = dashboard.appsById(rows.stream().mapToLong(Deployment::appId).distinct().toArray())
                    .stream().collect(Collectors.toMap(App::id, Function.identity()));
            send(rows.stream().filter(d -> apps.containsKey(d.appId()))
                    .map(d -> new LiveApps.Change(apps.get(d.appId()), d)).toList());
        }

        private void send(List<LiveApps.Change> changes) throws IOException {
            Instant now = clock.instant();
            for (LiveApps.Change c : changes) {
                Deployment d = c.deployment();
                if (d.updatedAt() != null) {
                    cursor = Math.max(cursor, d.updatedAt().toEpochMilli());
                }
                w.write("id: " + cursor + "\nevent: deployment\ndata: ");
                w.write(json.writeValueAsString(DeploymentView.of(d, c.app(), links, now)));
                w.write("\n\n");
            }
        }

        /** The session still exists, with the same teams, and (for one app's page) still sees the app. */
        private boolean stillAllowed() {
            Optional<Viewer> now = sessions.viewer(cookie);
            if (now.isEmpty() || !now.get().teamIds().equals(sub.teamIds())) {
                return false;
            }
            return slug == null || access.app(now.get(), slug).map(App::id).equals(Optional.of(sub.appId()));
        }

        private void flush() throws IOException {
            EventStreams.flush(w, response);
        }
    }
}
