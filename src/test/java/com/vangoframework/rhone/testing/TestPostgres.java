package com.vangoframework.rhone.testing;

import com.github.dockerjava.api.exception.NotFoundException;
import com.vangoframework.rhone.db.Database;
import com.vangoframework.rhone.db.DatabaseTarget;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The tests' PostgreSQL, chosen like the service's: a server named by RHONE_TEST_DATABASE_URL,
 * a Testcontainers PostgreSQL when RHONE_TEST_POSTGRES_IMAGE names an image, or else an embedded
 * real PostgreSQL started once per test JVM. Each call to {@link #freshDatabase()} creates an
 * empty database with the real Flyway migrations applied.
 */
public final class TestPostgres {

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static DatabaseTarget admin;

    private TestPostgres() {
    }

    public static synchronized DatabaseTarget admin() {
        if (admin == null) {
            admin = start();
        }
        return admin;
    }

    private static DatabaseTarget start() {
        String url = System.getenv("RHONE_TEST_DATABASE_URL");
        if (url != null && !url.isBlank()) {
            return DatabaseTarget.fromConfiguredUrl(url, env("RHONE_TEST_DATABASE_USER"), env("RHONE_TEST_DATABASE_PASSWORD"));
        }
        String image = System.getenv("RHONE_TEST_POSTGRES_IMAGE");
        if (image != null && !image.isBlank()) {
            return startContainer(image);
        }
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("max_connections", "400").start();
            return new DatabaseTarget(pg.getJdbcUrl("postgres", "postgres"), "postgres", "");
        } catch (java.io.IOException e) {
            throw new IllegalStateException("could not start the embedded PostgreSQL for tests", e);
        }
    }

    /**
     * A PostgreSQL container from a local image, never pulled (nothing can be pulled here; a pull
     * would hang for minutes), removed when the test JVM exits. Ryuk, Testcontainers' own reaper,
     * needs a pulled image too, so runs set TESTCONTAINERS_RYUK_DISABLED=true and rely on this.
     */
    private static DatabaseTarget startContainer(String image) {
        try {
            DockerClientFactory.instance().client().inspectImageCmd(image).exec();
        } catch (NotFoundException e) {
            throw new IllegalStateException("RHONE_TEST_POSTGRES_IMAGE names " + image + ", which the local Docker "
                    + "engine does not have: run ops/make-base-images", e);
        }
        PostgreSQLContainer<?> container = new PostgreSQLContainer<>(
                DockerImageName.parse(image).asCompatibleSubstituteFor("postgres"))
                .withImagePullPolicy(name -> false)
                .withCommand("postgres", "-c", "fsync=off", "-c", "max_connections=400");
        container.start();
        Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "test-postgres-container-stop"));
        return new DatabaseTarget(container.getJdbcUrl(), container.getUsername(), container.getPassword());
    }

    private static String env(String name) {
        String v = System.getenv(name);
        return v == null ? "" : v;
    }

    /** A new, migrated database on the test server. */
    public static DatabaseTarget freshDatabase() {
        DatabaseTarget target = emptyDatabase();
        Database.migrate(target);
        return target;
    }

    /** A new database without any schema. */
    public static DatabaseTarget emptyDatabase() {
        DatabaseTarget server = admin();
        String name = "rhone_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(), server.user(), server.password());
             Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create test database " + name, e);
        }
        return new DatabaseTarget(replaceDatabase(server.jdbcUrl(), name), server.user(), server.password());
    }

    public static Jdbi jdbi(DatabaseTarget target) {
        return Database.configure(Jdbi.create(target.jdbcUrl(), target.user(), target.password()),
                com.vangoframework.rhone.RhoneApplication.JDBI);
    }

    static String replaceDatabase(String jdbcUrl, String database) {
        int query = jdbcUrl.indexOf('?');
        String base = query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
        String params = query < 0 ? "" : jdbcUrl.substring(query);
        int slash = base.indexOf('/', "jdbc:postgresql://".length());
        return (slash < 0 ? base : base.substring(0, slash)) + "/" + database + params;
    }
}
