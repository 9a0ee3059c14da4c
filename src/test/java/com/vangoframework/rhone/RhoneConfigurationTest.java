package com.vangoframework.rhone;

import static org.assertj.core.api.Assertions.assertThat;

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
}
