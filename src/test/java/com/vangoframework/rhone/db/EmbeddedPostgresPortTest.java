package com.vangoframework.rhone.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.vangoframework.rhone.RhoneConfiguration;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.apache.commons.text.StringSubstitutor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded PostgreSQL keeps its port: chosen once and kept in the data directory, or set with
 * RHONE_EMBEDDED_PG_PORT, so whatever connects to it (a second node's DATABASE_URL) keeps working.
 */
class EmbeddedPostgresPortTest {

    @TempDir
    Path dir;

    @Test
    void chosenPort_isKeptInTheDataDir_andUsedAgainByTheNextStart() throws Exception {
        Path data = dir.resolve("data");
        int first;
        String url;
        try (EmbeddedPostgresHost host = EmbeddedPostgresHost.open(data, EmbeddedPostgresHost.Role.SERVER)) {
            first = host.port();
            url = host.target().jdbcUrl();
            assertThat(Files.readString(data.resolve(EmbeddedPort.FILE)).trim()).isEqualTo(Integer.toString(first));
        }
        try (EmbeddedPostgresHost again = EmbeddedPostgresHost.open(data, EmbeddedPostgresHost.Role.SERVER)) {
            assertThat(again.port()).isEqualTo(first);
            assertThat(selectOne(url, again.target().password())).isEqualTo(1);
        }
    }

    @Test
    void configuredPort_isUsed_andKeptForStartsWithoutTheSetting() throws Exception {
        Path data = dir.resolve("data");
        int configured = freePort();
        try (EmbeddedPostgresHost host = EmbeddedPostgresHost.open(data, EmbeddedPostgresHost.Role.SERVER,
                configured)) {
            assertThat(host.port()).isEqualTo(configured);
            assertThat(selectOne("jdbc:postgresql://127.0.0.1:" + configured + "/postgres", host.target().password()))
                    .isEqualTo(1);
        }
        try (EmbeddedPostgresHost again = EmbeddedPostgresHost.open(data, EmbeddedPostgresHost.Role.SERVER)) {
            assertThat(again.port()).isEqualTo(configured);
        }
    }

    @Test
    void keptPortTakenByAnotherProgram_failsWithASentence_andChangesNothing() throws Exception {
        Path data = dir.resolve("data");
        int kept;
        try (EmbeddedPostgresHost host = EmbeddedPostgresHost.open(data, EmbeddedPostgresHost.Role.SERVER)) {
            kept = host.port();
        }
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress("127.0.0.1", kept));

            assertThatThrownBy(() -> EmbeddedPostgresHost.open(data, EmbeddedPostgresHost.Role.SERVER))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("port " + kept + " on 127.0.0.1, where the embedded PostgreSQL of " + data
                            + " listens (kept in " + data.resolve(EmbeddedPort.FILE) + "), is taken by another program: "
                            + "stop that program, or set RHONE_EMBEDDED_PG_PORT to a free port (nodes using the old "
                            + "one must then change their DATABASE_URL)");
        }
        assertThat(Files.readString(data.resolve(EmbeddedPort.FILE)).trim()).isEqualTo(Integer.toString(kept));
        assertThat(Postmaster.running(data.resolve("postgres"))).as("no server was started").isEmpty();
        assertThat(data.resolve(EmbeddedPostgresHost.ADDRESS_FILE)).doesNotExist();
    }

    @Test
    void unreadablePortFile_failsWithASentence() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve(EmbeddedPort.FILE), "http\n");

        assertThatThrownBy(() -> EmbeddedPostgresHost.open(data, EmbeddedPostgresHost.Role.SERVER))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(data.resolve(EmbeddedPort.FILE) + " should hold the embedded PostgreSQL's port (1-65535), "
                        + "not \"http\": correct it, or delete it to have a new port chosen");
    }

    @Test
    void configYml_takesThePortFromRhoneEmbeddedPgPort_zeroWithout() throws Exception {
        assertThat(configWith(Map.of("RHONE_EMBEDDED_PG_PORT", "54329")).getDatabase().getEmbeddedPort())
                .isEqualTo(54329);
        assertThat(configWith(Map.of()).getDatabase().getEmbeddedPort()).isZero();
    }

    /** config.yml as the service reads it, with {@code env} as the whole environment. */
    private static RhoneConfiguration configWith(Map<String, String> env) throws Exception {
        return new YamlConfigurationFactory<>(RhoneConfiguration.class, Validators.newValidator(),
                Jackson.newObjectMapper(), "dw").build(new SubstitutingSourceProvider(
                new FileConfigurationSourceProvider(), new StringSubstitutor(env)), "config.yml");
    }

    private static int selectOne(String url, String password) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, "postgres", password);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
