package com.vangoframework.rhone.pipeline;

import org.eclipse.jgit.lib.Config;
import org.eclipse.jgit.storage.file.FileBasedConfig;
import org.eclipse.jgit.util.FS;
import org.eclipse.jgit.util.SystemReader;

/**
 * Keeps the build host's git configuration out of checkouts: JGit otherwise reads (and re-checks
 * on every repository it opens) the system, user and XDG config files, so a host's
 * {@code core.autocrlf}, {@code url.*.insteadOf} or credential settings would change what a build
 * sees. Only each checkout's own {@code .git/config} counts. It also saves those file checks on
 * every clone.
 */
public final class IsolatedGitConfig extends SystemReader.Delegate {

    private IsolatedGitConfig(SystemReader delegate) {
        super(delegate);
    }

    /** Installs the isolation for this JVM (JGit's reader is process-wide); repeated calls are harmless. */
    public static synchronized void install() {
        SystemReader current = SystemReader.getInstance();
        if (!(current instanceof IsolatedGitConfig)) {
            SystemReader.setInstance(new IsolatedGitConfig(current));
        }
    }

    @Override
    public FileBasedConfig openSystemConfig(Config parent, FS fs) {
        return new NoFile(parent, fs);
    }

    @Override
    public FileBasedConfig openUserConfig(Config parent, FS fs) {
        return new NoFile(parent, fs);
    }

    @Override
    public FileBasedConfig openJGitConfig(Config parent, FS fs) {
        return new NoFile(parent, fs);
    }

    /** A config level with no file behind it: always empty, never stale, never written. */
    private static final class NoFile extends FileBasedConfig {
        NoFile(Config parent, FS fs) {
            super(parent, null, fs);
        }

        @Override
        public void load() {
            clear();
        }

        @Override
        public void save() {
            // nothing to write to: a checkout must not change the host's configuration
        }

        @Override
        public boolean isOutdated() {
            return false;
        }
    }
}
