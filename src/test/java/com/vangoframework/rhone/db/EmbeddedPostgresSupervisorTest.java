package com.vangoframework.rhone.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.health.HealthCheck;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded PostgreSQL's server killed with SIGKILL under a running host (its processes gone,
 * nobody told): the supervisor starts it again, on the same port and files, and says so while it
 * cannot.
 */
class EmbeddedPostgresSupervisorTest {

    @TempDir
    Path dir;

    private EmbeddedPostgresHost host;
    private ScheduledExecutorService executor;
    private EmbeddedPostgresSupervisor supervisor;

    @BeforeEach
    void setUp() throws Exception {
        host = EmbeddedPostgresHost.open(dir.resolve("data"), EmbeddedPostgresHost.Role.SERVER);
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE survivor (v text)");
            st.execute("INSERT INTO survivor VALUES ('committed before the kill')");
        }
        executor = Executors.newSingleThreadScheduledExecutor();
        supervisor = new EmbeddedPostgresSupervisor(host, executor, Duration.ofMillis(100), Duration.ofMillis(100),
                Duration.ofMillis(400));
    }

    @AfterEach
    void tearDown() throws Exception {
        supervisor.stop();
        executor.shutdownNow();
        executor.awaitTermination(30, TimeUnit.SECONDS);
        host.close();
    }

    @Test
    void killedServer_isStartedAgainOnTheSamePort_andTheSameUrlServesTheSameData() throws Exception {
        supervisor.start();
        ProcessHandle killed = host.postmaster().orElseThrow();
        int port = host.port();

        kill(killed);

        // The host takes the new server as its own once PostgreSQL's start is over (a connection may succeed earlier).
        await().atMost(Duration.ofSeconds(20)).until(() -> host.postmaster().orElseThrow().pid() != killed.pid());
        assertThat(survivingRow()).isEqualTo("committed before the kill");
        assertThat(host.port()).isEqualTo(port);
        assertThat(host.target().jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:" + port + "/postgres");
        assertThat(host.postmaster().orElseThrow().isAlive()).isTrue();
        assertThat(supervisor.healthCheck().execute().isHealthy()).isTrue();
    }

    @Test
    void whileThePortIsTaken_theHealthCheckSaysWhy_andAttemptsGoOnUntilItIsFree() throws Exception {
        ProcessHandle killed = host.postmaster().orElseThrow();
        kill(killed);
        try (ServerSocket squatter = new ServerSocket()) {
            // The killed server's port is free at once: another program takes it before the supervisor runs.
            squatter.bind(new InetSocketAddress("127.0.0.1", host.port()));
            supervisor.start();

            await().atMost(Duration.ofSeconds(20)).until(() -> supervisor.healthCheck().execute().getMessage(),
                    m -> m.matches("the embedded PostgreSQL on 127\\.0\\.0\\.1:" + host.port() + " is down since \\S+ "
                            + "\\(its server process, pid " + killed.pid() + ", is gone\\); ([3-9]|\\d{2,}) restart attempt\\(s\\) "
                            + "failed, the last with: port " + host.port() + " on 127\\.0\\.0\\.1, where the embedded "
                            + "PostgreSQL of .* is taken by another program: .*"));
            assertThat(supervisor.healthCheck().execute().isHealthy()).isFalse();
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> host.postmaster().orElseThrow().pid() != killed.pid());
        assertThat(survivingRow()).isEqualTo("committed before the kill");
        HealthCheck.Result health = supervisor.healthCheck().execute();
        assertThat(health.isHealthy()).as(health.getMessage()).isTrue();
        assertThat(health.getMessage()).isEqualTo("the embedded PostgreSQL runs on 127.0.0.1:" + host.port()
                + " (pid " + host.postmaster().orElseThrow().pid() + ")");
    }

    @Test
    void closedHost_isNotStartedAgain() throws Exception {
        supervisor.start();
        ProcessHandle postmaster = host.postmaster().orElseThrow();

        host.close(); // how the service stops: the database goes down, and must stay down

        await().atMost(Duration.ofSeconds(20)).until(() -> !postmaster.isAlive());
        long checked = supervisor.checks();
        await().atMost(Duration.ofSeconds(20)).until(() -> supervisor.checks() >= checked + 5);
        assertThat(Postmaster.running(host.dataDir().resolve("postgres"))).isEmpty();
        assertThat(host.acceptsConnections()).isFalse();
    }

    private void kill(ProcessHandle postmaster) {
        assertThat(postmaster.destroyForcibly()).isTrue(); // SIGKILL: no shutdown, pid file and port left behind
        await().atMost(Duration.ofSeconds(10)).until(() -> !postmaster.isAlive());
    }

    private String survivingRow() throws SQLException {
        try (Connection c = connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT v FROM survivor")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(host.target().jdbcUrl(), host.target().user(), host.target().password());
    }
}
