package com.vangoframework.rhone.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.logs.EmptyLog;
import com.vangoframework.rhone.logs.LiveLogs;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogLines;
import com.vangoframework.rhone.logs.StepDao;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.Writer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /apps/{slug}/deployments/{id}/logs}: the build log and status as Server-Sent Events.
 *
 * <ul>
 *   <li>{@code log} events carry stored lines, one {@code data:} field per line;</li>
 *   <li>{@code step} events (JSON, {@link Timeline.Step}) carry a build step each time it changes
 *       (migration V14), in the order of the changes;</li>
 *   <li>a {@code reset} event ({@code {"change": R}}) when steps the viewer may have got were
 *       deleted since (a claim reused the attempt number, or BuildKit ran again and numbers its
 *       steps from #1): the stream's cursor was before the deployment's reset point R. The page
 *       reads {@code /steps} again and drops the rows it no longer has; the stream goes on after
 *       R (every change after the delete is numbered higher), so a reconnect does not reset again;</li>
 *   <li>{@code phases} events ({@code {"attempt": n, "phases": [...]}}, the latest attempt's
 *       phases in full, as the steps API has them) on connect once read (unless there are none),
 *       and whenever they change;
 *       each node reads them once per change for all its viewers;</li>
 *   <li>every event's {@code id} is a {@link LogCursor}: the number of lines sent so far, and after
 *       a step was sent also its change ({@code <lines>.<change>}), so a reconnect with
 *       {@code Last-Event-ID} (or a page that rendered N lines and the steps up to change C and
 *       opens the stream with {@code ?after=N.C}) resumes at line N + 1 and the first step change
 *       after C: nothing lost, nothing repeated;</li>
 *   <li>{@code status} events (JSON) on connect, on every status change and when the clone
 *       records the commit;</li>
 *   <li>{@code complete} once the build has finished and every line was sent; the stream ends.</li>
 *   <li>a comment line as a heartbeat when nothing happened for a while, so proxies keep the
 *       connection and a gone viewer is noticed.</li>
 * </ul>
 * The viewer's team is checked like on every app-scoped route: another team's deployment is a 404.
 * Open streams count against the node's {@link StreamSlots} (the app's team, the session, the
 * node). A deployment that waits to start (in the queue, or for an approval) for longer than
 * {@code waitingIdle} ends its stream with a {@code retry:} field: the browser comes back after
 * that pause (with its {@code Last-Event-ID}) instead of holding a thread and a slot for hours.
 * A servlet filter in front of the pages, so that every flush reaches the browser at once.
 */
public final class LogStreamFilter implements Filter {

    /** The stream's path; every other request under /apps/ goes on to the pages. */
    private static final Pattern PATH = Pattern.compile("/apps/([a-z0-9][a-z0-9-]{0,62})/deployments/([^/]+)/logs");

    private final Sessions sessions;
    private final AppAccess access;
    private final LiveLogs live;
    private final ObjectMapper json;
    private final Timing timing;
    private final StreamSlots slots;

    /**
     * How often a quiet stream sends a heartbeat; how long a stream follows a deployment that
     * waits to start; and after how long the browser is told to come back then.
     */
    public record Timing(Duration heartbeat, Duration waitingIdle, Duration waitingRetry) {
    }

    /** {@code slots}: the node's open streams, shared with the live app pages. */
    public LogStreamFilter(Sessions sessions, AppAccess access, LiveLogs live, ObjectMapper json, Timing timing,
                           StreamSlots slots) {
        this.slots = slots;
        this.sessions = sessions;
        this.access = access;
        this.live = live;
        this.json = json;
        this.timing = timing;
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
            EventStreams.plain(response, 401, "sign in to follow build logs");
            return;
        }
        // The same team check as every app-scoped route: another team's deployment is a 404.
        Optional<App> app = access.app(viewer.get(), path.group(1));
        Optional<Deployment> deployment = app.flatMap(a -> access.deployment(viewer.get(), a, path.group(2)));
        if (deployment.isEmpty()) {
            EventStreams.plain(response, 404, "no such deployment in your teams");
            return;
        }
        StreamSlots.Admission admission = slots.admit(cookie, Set.of(app.get().teamId()));
        if (!admission.admitted()) {
            EventStreams.refused(response, admission);
            return;
        }
        try (StreamSlots.Slot slot = admission.slot()) {
            stream(request, response, deployment.get());
        }
    }

    private void stream(HttpServletRequest request, HttpServletResponse response, Deployment deployment)
            throws IOException {
        // The browser's own Last-Event-ID wins over the page's starting point.
        LogCursor start = LogCursor.parse(request.getHeader("Last-Event-ID"))
                .or(() -> LogCursor.parse(request.getParameter("after"))).orElse(LogCursor.START);
        try (LiveLogs.Subscription sub = live.subscribe(deployment)) {
            send(EventStreams.open(response), sub, start, response);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException gone) {
            // the viewer left; nothing to answer
        }
    }


    private void send(Writer w, LiveLogs.Subscription sub, LogCursor start, HttpServletResponse response)
            throws IOException, InterruptedException {
        LogCursor cursor = start;
        Map<String, Object> sent = null;
        // None recorded is what a page without phases shows already: no event for it.
        List<StepDao.StoredPhase> sentPhases = List.of();
        long waitingSince = -1; // when this stream first saw the deployment wait to start
        w.write("retry: 2000\n\n");
        while (true) {
            long version = sub.version();
            // Status before lines: once a finished status is seen, the lines read after it are
            // the last ones (the build stores its log before it records the outcome).
            Deployment current = sub.deployment();
            Map<String, Object> status = statusOf(current);
            if (!status.equals(sent)) { // a new status, or the commit the clone just recorded
                sent = status;
                event(w, "status", cursor, List.of(json.writeValueAsString(status)));
            }
            List<LogChunkDao.Stored> chunks = sub.after(cursor.lines());
            for (LogChunkDao.Stored chunk : chunks) {
                cursor = lines(w, chunk, cursor);
            }
            List<StepDao.StoredPhase> phases = sub.phases();
            if (phases != null && !phases.equals(sentPhases)) {
                sentPhases = phases;
                event(w, "phases", cursor, List.of(json.writeValueAsString(phasesOf(phases))));
            }
            // Steps first, then the reset point: a reset point read second is as new as the steps or
            // newer, so a delete that happened before any step read here is never passed over.
            List<StepDao.StoredStep> steps = sub.stepsAfter(cursor.change());
            long reset = sub.resetPoint();
            if (cursor.change() > 0 && cursor.change() < reset) {
                cursor = cursor.withChange(reset);
                event(w, "reset", cursor, List.of("{\"change\":" + reset + "}"));
                long after = reset; // what changed before the reset the page reads again
                steps = steps.stream().filter(step -> step.changeSeq() > after).toList();
            }
            for (StepDao.StoredStep step : steps) {
                cursor = cursor.withChange(step.changeSeq());
                event(w, "step", cursor, List.of(json.writeValueAsString(Timeline.Step.of(step))));
            }
            if (!chunks.isEmpty() || !steps.isEmpty()) {
                EventStreams.flush(w, response);
                continue;
            }
            if (current.status().isBuildFinished()) {
                event(w, "complete", cursor, List.of(json.writeValueAsString(statusOf(current))));
                EventStreams.flush(w, response);
                return;
            }
            if (!DeploymentStatus.NOT_STARTED.contains(current.status())) {
                waitingSince = -1;
            } else if (waitingSince < 0) {
                waitingSince = System.nanoTime();
            } else if (System.nanoTime() - waitingSince >= timing.waitingIdle().toNanos()) {
                // No event, only the pause before the browser reconnects; then the stream ends.
                w.write("retry: " + timing.waitingRetry().toMillis() + "\n\n");
                EventStreams.flush(w, response);
                return;
            }
            EventStreams.flush(w, response);
            sub.await(version, timing.heartbeat().toMillis());
            if (sub.version() == version) {
                w.write(": heartbeat\n\n");
                EventStreams.flush(w, response);
            }
        }
    }


    /** Sends the chunk's lines past {@code cursor} as one event; returns the new cursor. */
    private static LogCursor lines(Writer w, LogChunkDao.Stored chunk, LogCursor cursor) throws IOException {
        if (chunk.end() <= cursor.lines()) {
            return cursor;
        }
        LogCursor next = cursor.withLines(chunk.end());
        w.write("id: " + next.id() + "\nevent: log\n");
        // Written straight out of the chunk's text, line by line, without splitting it into copies.
        LogLines.forEach(chunk, cursor.lines(), chunk.end(), (text, start, end) -> {
            w.write("data: ");
            w.write(text, start, end - start);
            w.write('\n');
        });
        w.write('\n');
        return next;
    }

    private static void event(Writer w, String name, LogCursor id, List<String> data) throws IOException {
        w.write("id: " + id.id() + "\nevent: " + name + "\n");
        for (String line : data) {
            w.write("data: ");
            w.write(line);
            w.write('\n');
        }
        w.write('\n');
    }

    /** A {@code phases} event's JSON: the attempt (0 when none recorded) and its phases. */
    private static Map<String, Object> phasesOf(List<StepDao.StoredPhase> stored) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("attempt", stored.isEmpty() ? 0 : stored.get(0).attempt());
        out.put("phases", stored.stream().map(Timeline.Phase::of).toList());
        return out;
    }

    /** What the page shows about a deployment, as the {@code status} and {@code complete} events carry it. */
    public static Map<String, Object> statusOf(Deployment d) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("id", d.id());
        s.put("status", d.status().dbValue());
        s.put("finished", d.status().isBuildFinished());
        s.put("error", d.errorMessage());
        s.put("image_tag", d.imageTag());
        s.put("image_digest", d.imageDigest());
        s.put("image_size_bytes", d.imageSizeBytes());
        s.put("duration_ms", d.buildDurationMs());
        s.put("commit_sha", d.commitSha());
        s.put("commit_message", d.commitMessage() == null ? null
                : d.commitMessage().lines().findFirst().orElse(""));
        s.put("commit_author", d.commitAuthor());
        s.put("created_at", d.createdAt() == null ? null : d.createdAt().toString());
        s.put("build_started_at", d.buildStartedAt() == null ? null : d.buildStartedAt().toString());
        s.put("superseded_by", d.supersededBy());
        s.put("approved_by", d.approvedBy());
        s.put("empty_log", EmptyLog.explain(d));
        return s;
    }
}
