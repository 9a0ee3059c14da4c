package com.vangoframework.rhone.bench;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.testing.ChildProcesses;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.threads.NamedThreads;
import com.vangoframework.rhone.web.SessionDao;
import com.vangoframework.rhone.web.Sessions;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Jdbi;

/**
 * Live log figures against a running service (its own JVM, the real application, builds that
 * print into the real log store). Prints:
 * <ol>
 *   <li>latency from a line handed to the log (its stored timestamp) to its arrival at an SSE
 *       client, over a build printing about 2,000 lines a second;</li>
 *   <li>{@code -Dviewers} (200) viewers of one build printing {@code -Dlines} (100,000) lines: the
 *       service's added heap (live after a full GC, and the peak sampled) and CPU, and whether every
 *       viewer received every line exactly once, in order;</li>
 *   <li>time to first byte of the page of a deployment whose log has 200,000 lines.</li>
 * </ol>
 */
public final class LiveLogBench {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    public static void main(String[] args) throws Exception {
        int viewers = Integer.getInteger("viewers", 200);
        int lines = Integer.getInteger("lines", 100_000);
        DatabaseTarget db = TestPostgres.freshDatabase();
        Jdbi jdbi = TestPostgres.jdbi(db);
        Fixtures fx = new Fixtures(jdbi);
        Team team = fx.team("bench");
        App app = fx.app(team, "web");
        long user = jdbi.withExtension(SessionDao.class, dao -> {
            SessionDao.User u = dao.upsertUser("bench");
            dao.addMember(team.id(), u.id());
            return u.id();
        });
        String session = new Sessions(jdbi, Clock.systemUTC()).create(user);
        Path dir = Files.createTempDirectory("rhone-live-bench");
        Path urls = dir.resolve("urls");
        Process service = ChildProcesses.java(dir.resolve("service.log"),
                List.of("-Xmx1g", "-Dbuilds=20000:20:10,20000:20:10," + lines + ":500:5"),
                LiveLogService.class.getName(), db.jdbcUrl(), db.user(), db.password(), dir.resolve("data").toString(),
                urls.toString());
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Files.exists(urls) || Files.readString(urls).isBlank()) {
                if (System.nanoTime() > deadline || !service.isAlive()) {
                    throw new IllegalStateException("the service did not start; see " + dir.resolve("service.log"));
                }
                Thread.sleep(100);
            }
            String[] u = Files.readString(urls).trim().split(" ");
            String url = u[0];

            // 1. Latency, one viewer, after one unmeasured build of the same shape (a running
            //    service has its code compiled; the first build after a start runs cold).
            Deployment warmup = fx.pending(app);
            Viewer cold = new Viewer(url + "/apps/web/deployments/" + warmup.id() + "/logs", session, false);
            cold.run();
            Deployment first = fx.pending(app);
            Viewer one = new Viewer(url + "/apps/web/deployments/" + first.id() + "/logs", session, true);
            one.run();
            one.await();
            List<Long> lat = new ArrayList<>(one.latenciesMicros);
            Collections.sort(lat);
            System.out.printf("latency, line handed to the log -> arrival at an SSE client (%d lines, ~2,000/s): "
                            + "p50 %.1f ms  p99 %.1f ms  max %.1f ms; stored in %,d chunks%n", lat.size(),
                    pct(lat, 50) / 1000.0, pct(lat, 99) / 1000.0, lat.get(lat.size() - 1) / 1000.0, chunks(jdbi, first));

            // 2. Fan-out: many viewers of one big build.
            long baseline = liveHeap(service);
            Duration cpuBefore = service.toHandle().info().totalCpuDuration().orElseThrow();
            long start = System.nanoTime();
            Deployment big = fx.pending(app);
            List<Viewer> all = new ArrayList<>();
            for (int i = 0; i < viewers; i++) {
                Viewer v = new Viewer(url + "/apps/web/deployments/" + big.id() + "/logs", session, false);
                all.add(v);
                Thread t = new Thread(v::run, "viewer-" + i);
                t.setDaemon(true);
                t.start();
            }
            AtomicLong peak = new AtomicLong();
            Thread sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        peak.accumulateAndGet(heapUsed(service), Math::max);
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception ignored) {
                        // a missed sample
                    }
                }
            });
            sampler.setDaemon(true);
            sampler.start();
            long midLive = -1;
            while (midLive < 0) {
                if (all.get(0).lines.get() >= lines / 2 || all.get(0).done.getCount() == 0) {
                    midLive = liveHeap(service);
                }
                Thread.sleep(50);
            }
            for (Viewer v : all) {
                v.await();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            sampler.interrupt();
            double cpu = (service.toHandle().info().totalCpuDuration().orElseThrow().toMillis() - cpuBefore.toMillis())
                    / 1000.0;
            long complete = all.stream().filter(v -> v.complete && v.lines.get() == lines && v.inOrder).count();
            System.out.printf("fan-out: %d viewers x %,d lines in %.1f s; %d of %d received every line once, in order,"
                            + " and the complete event; stored in %,d chunks%n", viewers, lines, seconds, complete, viewers,
                    chunks(jdbi, big));
            System.out.printf("  service heap: live %,d MiB before, %,d MiB with the viewers attached mid-build "
                            + "(added %,d MiB); peak sampled (garbage included) %,d MiB%n", baseline >> 20, midLive >> 20,
                    (midLive - baseline) >> 20, peak.get() >> 20);
            System.out.printf("  service CPU: %.1f s over %.1f s (%.2f cores); build status %s, the build itself %,d ms%n",
                    cpu, seconds, cpu / seconds, fx.reload(big).status().dbValue(), jdbi.withHandle(h -> h.createQuery(
                            "SELECT (extract(epoch FROM build_finished_at - build_started_at) * 1000)::bigint "
                                    + "FROM deployments WHERE id = :id").bind("id", big.id()).mapTo(Long.class).one()));

            // 3. The page of a deployment with a 200,000-line log.
            // Written here, as a finished deployment (never queued), so no build adds to it.
            long quietId = jdbi.withHandle(h -> h.createQuery("INSERT INTO deployments (app_id, status, trigger, "
                    + "branch, build_finished_at) VALUES (:app, 'cancelled', 'manual', 'main', now()) RETURNING id")
                    .bind("app", app.id()).mapTo(Long.class).one());
            var flusher = NamedThreads.scheduled("rhone-log-flusher");
            LogStore store = new LogStore(jdbi.onDemand(LogChunkDao.class), Long.MAX_VALUE, Clock.systemUTC(), flusher);
            try (BuildLog log = store.open(quietId, s -> s)) {
                for (int i = 0; i < 200_000; i++) {
                    log.line("step 4/7 RUN ./build.sh: compiled module " + i + " of the project");
                }
            } finally {
                NamedThreads.stopNow(flusher, java.time.Duration.ofSeconds(5));
            }
            List<Long> ttfb = new ArrayList<>();
            long bytes = 0;
            for (int i = 0; i < 25; i++) {
                long[] r = firstByte(URI.create(url), "/apps/web/deployments/" + quietId, session);
                if (i >= 5) {
                    ttfb.add(r[0]);
                }
                bytes = r[1];
            }
            Collections.sort(ttfb);
            System.out.printf("page of a deployment with a 200,000-line log (%,d bytes, the last 1,000 lines "
                            + "rendered): time to first byte p50 %.1f ms  max %.1f ms (20 requests after 5)%n", bytes,
                    pct(ttfb, 50) / 1000.0, ttfb.get(ttfb.size() - 1) / 1000.0);
        } finally {
            service.destroy();
            service.waitFor();
        }
        System.exit(0);
    }

    private static long chunks(Jdbi jdbi, Deployment d) {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM deployment_log_chunks WHERE deployment_id = :id")
                .bind("id", d.id()).mapTo(Long.class).one());
    }

    /** Heap in use now (G1's "used"), from jcmd GC.heap_info. */
    private static long heapUsed(Process service) throws Exception {
        String out = jdkTool("jcmd", Long.toString(service.pid()), "GC.heap_info");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("no heap figure in: " + out);
        }
        return Long.parseLong(m.group(1)) * 1024;
    }

    /** Heap still in use after a full collection in the service. */
    private static long liveHeap(Process service) throws Exception {
        jdkTool("jcmd", Long.toString(service.pid()), "GC.run");
        return heapUsed(service);
    }

    private static String jdkTool(String tool, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", tool).toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    /** Microseconds to the first byte of the answer, and the answer's size. */
    static long[] firstByte(URI base, String path, String session) throws Exception {
        try (Socket s = new Socket(base.getHost(), base.getPort())) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            long t0 = System.nanoTime();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\nCookie: rhone_session=" + session
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            int b = in.read();
            long first = (System.nanoTime() - t0) / 1000;
            long total = b < 0 ? 0 : 1 + in.readAllBytes().length;
            return new long[] {first, total};
        }
    }

    static double pct(List<Long> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    /** One SSE viewer: counts lines, checks ids, optionally measures each line's latency. */
    private static final class Viewer {
        final String url;
        final String session;
        final boolean measure;
        final List<Long> latenciesMicros = new ArrayList<>();
        final AtomicLong lines = new AtomicLong();
        final CountDownLatch done = new CountDownLatch(1);
        volatile boolean complete;
        volatile boolean inOrder = true;

        Viewer(String url, String session, boolean measure) {
            this.url = url;
            this.session = session;
            this.measure = measure;
        }

        void run() {
            try {
                HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                        .header("Cookie", "rhone_session=" + session).build(), HttpResponse.BodyHandlers.ofInputStream());
                try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8),
                        64 * 1024)) {
                    String event = null;
                    long pending = 0;
                    String line;
                    while ((line = in.readLine()) != null) {
                        if (line.startsWith("event: ")) {
                            event = line.substring(7);
                        } else if (line.startsWith("id: ")) {
                            pending = Long.parseLong(line.substring(4));
                        } else if (line.startsWith("data: ") && "log".equals(event)) {
                            long n = lines.incrementAndGet();
                            if (measure) {
                                String text = line.substring(6);
                                Instant stamp = Instant.parse(text.substring(0, text.indexOf(' ')));
                                latenciesMicros.add(Duration.between(stamp, Instant.now()).toNanos() / 1000);
                            }
                            if (n > pending) {
                                inOrder = false;
                            }
                        } else if (line.isEmpty()) {
                            if ("log".equals(event) && lines.get() != pending) {
                                inOrder = false;
                            }
                            if ("complete".equals(event)) {
                                complete = true;
                                break;
                            }
                            event = null;
                        }
                    }
                }
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                done.countDown();
            }
        }

        void await() throws InterruptedException {
            done.await();
        }
    }
}
