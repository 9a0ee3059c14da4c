package com.vangoframework.rhone;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jetty.HttpConnectorFactory;
import io.dropwizard.jersey.validation.Validators;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RhoneConfigurationTest {

    @Test
    void relativePaths_areResolvedAgainstTheStartDirectory_programNamesStayOnPath() {
        RhoneConfiguration c = new RhoneConfiguration();
        c.setDataDir("var");
        c.getBuilder().setWorkDir("scratch/builds");
        c.getBuilder().setBuildkitCaCert("certs/ca.pem");
        c.getBuilder().setBuildkitCert("/etc/rhone/cert.pem");
        c.getBuilder().setBuildkitKey("");
        c.getBuilder().setDockerBinary("tools/docker");
        c.getBuilder().setBuildctlBinary("buildctl");
        c.getBuilder().setRailpackBinary("./railpack");
        c.getGithub().setPrivateKeyFile("keys/../keys/app.pem");

        c.makePathsAbsolute(Path.of("/srv/rhone"));

        assertThat(c.getDataDir()).isEqualTo("/srv/rhone/var");
        assertThat(c.getBuilder().getWorkDir()).isEqualTo("/srv/rhone/scratch/builds");
        assertThat(c.getBuilder().getBuildkitCaCert()).isEqualTo("/srv/rhone/certs/ca.pem");
        assertThat(c.getBuilder().getBuildkitCert()).isEqualTo("/etc/rhone/cert.pem");
        assertThat(c.getBuilder().getBuildkitKey()).isEmpty(); // unset stays unset
        assertThat(c.getBuilder().getDockerBinary()).isEqualTo("/srv/rhone/tools/docker");
        assertThat(c.getBuilder().getBuildctlBinary()).isEqualTo("buildctl");
        assertThat(c.getBuilder().getRailpackBinary()).isEqualTo("/srv/rhone/railpack");
        assertThat(c.getGithub().getPrivateKeyFile()).isEqualTo("/srv/rhone/keys/app.pem");
    }

    @Test
    void workDirByDefault_isBuildsBesideTheDataDir_notInsideIt() {
        RhoneConfiguration c = new RhoneConfiguration();
        c.setDataDir("var");
        c.getBuilder().setWorkDir(""); // RHONE_WORK_DIR set but empty
        c.makePathsAbsolute(Path.of("/srv/rhone"));

        assertThat(c.getBuilder().getWorkDir()).isEqualTo("/srv/rhone/builds");
        assertThat(Path.of(c.getBuilder().getWorkDir()).startsWith(Path.of(c.getDataDir()))).isFalse();
        assertThat(new RhoneConfiguration().getBuilder().getWorkDir()).isEqualTo("builds");
    }

    @Test
    void configYml_bindsTheAdminPortToLoopback_andRunsTeamsTogether_unlessTheEnvironmentSaysOtherwise() throws Exception {
        // The file as the service reads it, ${VAR:-default} substituted from this environment.
        RhoneConfiguration c = new YamlConfigurationFactory<>(RhoneConfiguration.class, Validators.newValidator(),
                Jackson.newObjectMapper(), "dw").build(new SubstitutingSourceProvider(
                new FileConfigurationSourceProvider(), new EnvironmentVariableSubstitutor(false)), "config.yml");
        DefaultServerFactory server = (DefaultServerFactory) c.getServerFactory();
        HttpConnectorFactory admin = (HttpConnectorFactory) server.getAdminConnectors().get(0);
        assertThat(admin.getBindHost()).isEqualTo(System.getenv().getOrDefault("RHONE_ADMIN_BIND", "127.0.0.1"));
        HttpConnectorFactory api = (HttpConnectorFactory) server.getApplicationConnectors().get(0);
        assertThat(api.getBindHost()).as("the API port listens on every interface").isNull();
        assertThat(c.getBuilds().isOneTeamAtATime())
                .isEqualTo(Boolean.parseBoolean(System.getenv().getOrDefault("RHONE_ONE_TEAM_AT_A_TIME", "false")));
    }

    @Test
    void pushRetries_defaultToThreeAfterOneSecond_andOutOfRangeValuesAreRejectedByName() throws Exception {
        RhoneConfiguration c = new YamlConfigurationFactory<>(RhoneConfiguration.class, Validators.newValidator(),
                Jackson.newObjectMapper(), "dw").build(new SubstitutingSourceProvider(
                new FileConfigurationSourceProvider(), new EnvironmentVariableSubstitutor(false)), "config.yml");
        if (System.getenv("RHONE_PUSH_RETRIES") == null && System.getenv("RHONE_PUSH_RETRY_DELAY") == null) {
            assertThat(c.getBuilder().getPushRetries()).isEqualTo(3);
            assertThat(c.getBuilder().getPushRetryDelay()).isEqualTo(io.dropwizard.util.Duration.seconds(1));
        }
        var validator = Validators.newValidator();
        var builder = new com.vangoframework.rhone.pipeline.BuilderConfiguration();
        builder.setPushRetries(11);
        builder.setPushRetryDelay(io.dropwizard.util.Duration.minutes(2));
        assertThat(validator.validate(builder)).extracting(v -> v.getPropertyPath().toString())
                .containsExactlyInAnyOrder("pushRetries", "pushRetryDelay");
        builder.setPushRetries(0);
        builder.setPushRetryDelay(io.dropwizard.util.Duration.seconds(0));
        assertThat(validator.validate(builder)).isEmpty();
    }
}
