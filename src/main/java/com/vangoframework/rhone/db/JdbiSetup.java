package com.vangoframework.rhone.db;

import java.util.List;
import org.jdbi.v3.core.spi.JdbiPlugin;

/**
 * What the features add to every Jdbi the process opens: their plugins (column mappers and
 * arguments for their types) and their DAOs, whose metadata is built once on the root. The
 * composition root writes the list, so this package names no feature.
 */
public record JdbiSetup(List<JdbiPlugin> plugins, List<Class<?>> daos) {

    public JdbiSetup {
        plugins = List.copyOf(plugins);
        daos = List.copyOf(daos);
    }
}
