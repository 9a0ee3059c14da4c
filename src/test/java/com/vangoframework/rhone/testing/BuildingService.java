package com.vangoframework.rhone.testing;

import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.threads.NamedThreads;
import io.dropwizard.testing.ConfigOverride;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Stream;
import org.jdbi.v3.core.Jdbi;

/**
 * The whole service building for real: a fresh database, repositories served by a JGit smart-HTTP
 * server under {@code dir/repos} with one clone token, the local engine and the test registry
 * ({@code RHONE_TEST_REGISTRY}, else 127.0.0.1:5000), and a reader of the logs it writes.
 */
public final class BuildingService implements AutoCloseable {

    public static final String REGISTRY = System.getenv().getOrDefault("RHONE_TEST_REGISTRY", "127.0.0.1:5000");

    public final Jdbi jdbi;
    public final Fixtures fx;
    public final GitServer git;
    public final TestService service;
    /** Reads only: the service writes the logs with its own store and cap. */
    public final LogStore logs;
    private final ScheduledExecutorService logFlusher;

    private BuildingService(Path dir, ConfigOverride... overrides) throws Exception {
        String token = "ghs_" + UUID.randomUUID().toString().replace("-", "");
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        git = new GitServer(Files.createDirectories(dir.resolve("repos")), token);
        service = new TestService(db, dir.resolve("data"), null, app -> Optional.of(token),
                Stream.concat(Stream.of(ConfigOverride.config("builder.registry", REGISTRY)), Stream.of(overrides))
                        .toArray(ConfigOverride[]::new)).start();
        logFlusher = NamedThreads.scheduled("rhone-log-reader");
        logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(), logFlusher);
    }

    public static BuildingService start(Path dir, ConfigOverride... overrides) throws Exception {
        return new BuildingService(dir, overrides);
    }

    @Override
    public void close() throws Exception {
        service.stop();
        NamedThreads.stopNow(logFlusher, Duration.ofSeconds(5));
        git.close();
    }
}
