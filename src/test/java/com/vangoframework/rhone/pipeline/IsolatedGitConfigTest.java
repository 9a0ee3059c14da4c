package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.lib.ConfigConstants;
import org.eclipse.jgit.storage.file.FileBasedConfig;
import org.eclipse.jgit.util.FS;
import org.eclipse.jgit.util.SystemReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IsolatedGitConfigTest {

    @Test
    void theHostsUserGitConfig_isNotReadOnceInstalled(@TempDir Path home) throws Exception {
        Files.writeString(home.resolve(".gitconfig"), "[core]\n\tautocrlf = true\n[url \"https://evil.example/\"]\n"
                + "\tinsteadOf = https://github.com/\n");
        FS fs = FS.DETECTED.newInstance().setUserHome(home.toFile());

        // JGit's own reader picks the file up: the setting would reach checkouts.
        FileBasedConfig plain = SystemReader.Delegate.class.isInstance(SystemReader.getInstance())
                ? null : SystemReader.getInstance().openUserConfig(null, fs);
        if (plain != null) {
            plain.load();
            assertThat(plain.getBoolean(ConfigConstants.CONFIG_CORE_SECTION, ConfigConstants.CONFIG_KEY_AUTOCRLF, false))
                    .isTrue();
        }

        IsolatedGitConfig.install();
        IsolatedGitConfig.install(); // idempotent
        FileBasedConfig isolated = SystemReader.getInstance().openUserConfig(null, fs);
        isolated.load();
        assertThat(isolated.getBoolean(ConfigConstants.CONFIG_CORE_SECTION, ConfigConstants.CONFIG_KEY_AUTOCRLF, false))
                .isFalse();
        assertThat(isolated.getSubsections("url")).isEmpty();
        assertThat(isolated.isOutdated()).isFalse();
        isolated.setString("user", null, "name", "x");
        isolated.save();
        assertThat(Files.readString(home.resolve(".gitconfig"))).doesNotContain("name");
    }
}
