package com.vangoframework.rhone.build;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.health.HealthCheck;
import com.vangoframework.rhone.testing.ChildProcesses;
import org.junit.jupiter.api.Test;

class RegistryHealthCheckTest {

    @Test
    void registryThatDoesNotAnswer_isUnhealthy_sayingWhatBuildsCannotDo() throws Exception {
        String dead = "127.0.0.1:" + ChildProcesses.freePort();
        HealthCheck.Result r = new RegistryHealthCheck(dead).execute();
        assertThat(r.isHealthy()).isFalse();
        assertThat(r.getMessage()).startsWith("registry " + dead + " does not answer at http://" + dead + "/v2/")
                .contains("builds cannot push");
    }

    @Test
    void loopbackRegistriesSpeakHttp_othersHttps() {
        assertThat(RegistryHealthCheck.isLoopback("127.0.0.1:5000")).isTrue();
        assertThat(RegistryHealthCheck.isLoopback("localhost:5000")).isTrue();
        assertThat(RegistryHealthCheck.isLoopback("[::1]:5000")).isTrue();
        assertThat(RegistryHealthCheck.isLoopback("registry.fly.io")).isFalse();
        assertThat(RegistryHealthCheck.isLoopback("127.example.com")).isFalse();
    }
}
