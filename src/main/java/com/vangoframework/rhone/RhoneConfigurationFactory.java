package com.vangoframework.rhone;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.ConfigurationFactory;
import io.dropwizard.configuration.ConfigurationFactoryFactory;
import io.dropwizard.configuration.ConfigurationSourceProvider;
import io.dropwizard.configuration.DefaultConfigurationFactoryFactory;
import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.ResourceConfigurationSourceProvider;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import jakarta.validation.Validator;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads the configuration the way every command needs it: without a file argument, the
 * {@code config.yml} bundled in the jar (with its environment variables) instead of Dropwizard's
 * bare defaults; and every configured path made absolute against the directory the process
 * started in, once, so nothing later depends on the current directory (a relative work directory
 * handed to {@code docker build}, which runs inside it, named a path that did not exist).
 */
public final class RhoneConfigurationFactory implements ConfigurationFactoryFactory<RhoneConfiguration> {

    /** The classpath name of the bundled default configuration (the repository's config.yml). */
    public static final String BUNDLED = "config.yml";

    private final DefaultConfigurationFactoryFactory<RhoneConfiguration> defaults =
            new DefaultConfigurationFactoryFactory<>();

    @Override
    public ConfigurationFactory<RhoneConfiguration> create(Class<RhoneConfiguration> klass, Validator validator,
                                                           ObjectMapper objectMapper, String propertyPrefix) {
        ConfigurationFactory<RhoneConfiguration> factory =
                defaults.create(klass, validator, objectMapper, propertyPrefix);
        return new ConfigurationFactory<>() {
            @Override
            public RhoneConfiguration build(ConfigurationSourceProvider provider, String path)
                    throws IOException, ConfigurationException {
                RhoneConfiguration config = factory.build(provider, path);
                config.makePathsAbsolute(Path.of("").toAbsolutePath());
                return config;
            }

            @Override
            public RhoneConfiguration build() throws IOException, ConfigurationException {
                return build(new SubstitutingSourceProvider(new ResourceConfigurationSourceProvider(),
                        new EnvironmentVariableSubstitutor(false)), BUNDLED);
            }
        };
    }
}
