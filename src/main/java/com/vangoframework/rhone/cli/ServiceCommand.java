package com.vangoframework.rhone.cli;

import io.dropwizard.core.Configuration;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import net.sourceforge.argparse4j.inf.Namespace;

/**
 * A command that reads the service's configuration file. Dropwizard takes the configuration class
 * from a command's type parameter; these commands take it from the application they run in, so
 * they can live outside the composition root and see the configuration only as a
 * {@link CommandConfiguration}. A failure before the command could act is one line on stderr.
 */
abstract class ServiceCommand extends ConfiguredCommand<Configuration> {

    private Class<Configuration> configurationClass;

    ServiceCommand(String name, String description) {
        super(name, description);
    }

    /** What the command does once the configuration is read and its logging set up. */
    protected abstract void run(Namespace namespace, CommandConfiguration config) throws Exception;

    @Override
    @SuppressWarnings("unchecked")
    public void run(Bootstrap<?> bootstrap, Namespace namespace) throws Exception {
        Class<?> type = bootstrap.getApplication().getConfigurationClass();
        if (!CommandConfiguration.class.isAssignableFrom(type)) {
            throw new IllegalStateException(type.getName() + " does not implement " + CommandConfiguration.class);
        }
        configurationClass = (Class<Configuration>) type;
        super.run(bootstrap, namespace);
    }

    @Override
    protected Class<Configuration> getConfigurationClass() {
        return configurationClass;
    }

    @Override
    protected final void run(Bootstrap<Configuration> bootstrap, Namespace namespace, Configuration config)
            throws Exception {
        run(namespace, (CommandConfiguration) config);
    }

    @Override
    public void onError(Cli cli, Namespace namespace, Throwable e) {
        if (!CliErrors.reportConfigurationProblem(cli, e)) {
            CliErrors.reportFailure(cli, e);
        }
    }
}
