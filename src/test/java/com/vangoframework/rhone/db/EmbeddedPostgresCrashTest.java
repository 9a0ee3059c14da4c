package com.vangoframework.rhone.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.testing.ChildNode;
import com.vangoframework.rhone.testing.ChildProcesses;
import com.vangoframework.rhone.testing.NeedsChildProcesses;
import com.vangoframework.rhone.testing.TestService;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rhone node on the embedded PostgreSQL, killed with SIGKILL while a second node's session is
 * open on its database (the crash): its PostgreSQL runs on, nobody's child. The node's next
 * start must stop it without waiting for that session, come up, and serve on the same port.
 */
@NeedsChildProcesses
class EmbeddedPostgresCrashTest {

    @TempDir
    Path dir;

    private final List<Process> nodes = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (Process node : nodes) {
            node.destroy();
            if (!node.waitFor(30, TimeUnit.SECONDS)) {
                node.destroyForcibly();
            }
        }
        // Whatever PostgreSQL is left on the files (the orphan, if the restart failed) stops fast.
        Postmaster.makeRoom(dir.resolve("data").resolve("postgres"), "this test", Duration.ofSeconds(10));
    }

    @Test
    void killedNode_itsOrphanedPostgresIsStoppedFastOnTheNextStart_andTheSecondNodesUrlWorksAgain() throws Exception {
        Path data = dir.resolve("data");
        int pgPort = ChildProcesses.freePort();
        int firstAdmin = ChildProcesses.freePort();
        Process first = startNode("first", Map.of("RHONE_EMBEDDED_PG_PORT", Integer.toString(pgPort)), firstAdmin);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> databaseHealthy(firstAdmin) || !first.isAlive());
        assertThat(first.isAlive()).as(() -> log("first")).isTrue();
        String url = "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres";
        String password = Files.readString(data.resolve(EmbeddedPostgresHost.PASSWORD_FILE)).trim();

        // The second node: a session that stays open, in the middle of a transaction.
        Connection second = DriverManager.getConnection(url, "postgres", password);
        try (Statement st = second.createStatement()) {
            st.execute("CREATE TABLE crash_probe (v text)");
            st.execute("INSERT INTO crash_probe VALUES ('written before the crash')");
            second.setAutoCommit(false);
            st.executeQuery("SELECT count(*) FROM crash_probe").close();
        }
        ProcessHandle orphan = Postmaster.running(data.resolve("postgres")).orElseThrow();

        first.destroyForcibly(); // SIGKILL: no shutdown hook, no stop of its PostgreSQL
        assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(orphan.isAlive()).as("the killed node's PostgreSQL runs on").isTrue();
        assertThat(second.isValid(5)).isTrue();

        // Started again without RHONE_EMBEDDED_PG_PORT: the port kept in the data directory.
        int admin = ChildProcesses.freePort();
        Process again = startNode("again", Map.of(), admin);
        await().atMost(Duration.ofSeconds(25)).pollInterval(Duration.ofMillis(200))
                .until(() -> databaseHealthy(admin) || !again.isAlive());
        assertThat(again.isAlive()).as(() -> log("again")).isTrue();

        assertThat(orphan.isAlive()).isFalse();
        assertThat(log("again")).contains("stopping it with a fast shutdown, which ends its open sessions");
        assertThat(second.isValid(5)).as("the fast shutdown ended the second node's session").isFalse();
        second.close();
        try (Connection c = DriverManager.getConnection(url, "postgres", password); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT v FROM crash_probe")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("written before the crash");
        }
    }

    /** The node's own health checks of its database: the pool's query and the embedded server's supervisor. */
    private boolean databaseHealthy(int adminPort) {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + adminPort + "/healthcheck")).timeout(Duration.ofSeconds(5))
                    .build(), HttpResponse.BodyHandlers.ofString());
            JsonNode checks = new ObjectMapper().readTree(response.body());
            return checks.path("postgresql").path("healthy").asBoolean()
                    && checks.path("embedded-postgres").path("healthy").asBoolean();
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The real service (its pipeline sleeps) on the embedded database, in its own JVM, as an operator runs it. */
    private Process startNode(String name, Map<String, String> env, int adminPort) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                System.getProperty("rhone.test.java", Path.of(System.getProperty("java.home"), "bin", "java").toString()),
                // C1 only and the serial collector: a node starts about a third faster (see CliTest).
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Ddw.dataDir=" + dir.resolve("data"),
                "-Ddw.builder.workDir=" + dir.resolve("builds"),
                "-Ddw.secretKey=" + TestService.SECRET_KEY,
                "-Ddw.server.applicationConnectors[0].port=0",
                "-Ddw.server.adminConnectors[0].port=" + adminPort,
                "-Ddw.builds.shutdownGrace=1s",
                "-cp", System.getProperty("java.class.path"),
                ChildNode.class.getName(), "server", Path.of("config.yml").toAbsolutePath().toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        builder.environment().remove("DATABASE_URL"); // the embedded database, whatever this JVM was given
        builder.environment().remove("RHONE_EMBEDDED_PG_PORT");
        builder.environment().putAll(env);
        Process node = builder.start();
        nodes.add(node);
        return node;
    }

    private String log(String name) {
        try {
            return Files.readString(dir.resolve(name + ".log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
