package com.vangoframework.rhone.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.vangoframework.rhone.db.DatabaseTarget;
import io.dropwizard.testing.ConfigOverride;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness itself: one test's service settings never configure another's. (Two services
 * stopped in the order they started once left {@code builds.workerEnabled=false} behind, and every
 * later test in the JVM ran without a build queue.)
 */
class TestServiceTest {

    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path first;
    @TempDir
    Path second;
    @TempDir
    Path third;

    @Test
    void servicesStoppedInStartOrder_leaveNoSettingForTheNextService() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        TestService withoutQueue = new TestService(db, first, new ScriptedPipeline(),
                ConfigOverride.config("builds.workerEnabled", "false")).start();
        TestService withQueue = new TestService(db, second, new ScriptedPipeline()).start();
        try {
            assertThat(hasBuildQueue(withoutQueue)).as("the service that turned its queue off").isFalse();
            assertThat(hasBuildQueue(withQueue)).as("a service started while the first runs").isTrue();
        } finally {
            withoutQueue.stop();
            withQueue.stop();
        }
        assertThat(System.getProperties().stringPropertyNames().stream().filter(n -> n.startsWith("dw."))).as("dw.* properties left after both stopped").isEmpty();

        TestService next = new TestService(db, third, new ScriptedPipeline()).start();
        try {
            assertThat(hasBuildQueue(next)).as("the next test's service").isTrue();
        } finally {
            next.stop();
        }
    }

    /** The build-queue health check is registered exactly when the service runs a queue. */
    static boolean hasBuildQueue(TestService service) throws Exception {
        String health = HTTP.send(HttpRequest.newBuilder(URI.create(service.adminUrl() + "/healthcheck")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return health.contains("\"build-queue\"");
    }
}
