package com.vangoframework.rhone;

import com.vangoframework.rhone.cli.CliErrors;
import io.dropwizard.core.Application;
import io.dropwizard.core.cli.CheckCommand;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ServerCommand;
import net.sourceforge.argparse4j.inf.Namespace;

/** Dropwizard's {@code server} and {@code check}, with a missing or broken configuration told in one line. */
final class RhoneServerCommands {

    private RhoneServerCommands() {
    }

    static final class Server extends ServerCommand<RhoneConfiguration> {
        Server(Application<RhoneConfiguration> application) {
            super(application);
        }

        @Override
        public void onError(Cli cli, Namespace namespace, Throwable e) {
            if (!CliErrors.reportConfigurationProblem(cli, e)) {
                super.onError(cli, namespace, e);
            }
        }
    }

    static final class Check extends CheckCommand<RhoneConfiguration> {
        Check(Application<RhoneConfiguration> application) {
            super(application);
        }

        @Override
        public void onError(Cli cli, Namespace namespace, Throwable e) {
            if (!CliErrors.reportConfigurationProblem(cli, e)) {
                super.onError(cli, namespace, e);
            }
        }
    }
}
