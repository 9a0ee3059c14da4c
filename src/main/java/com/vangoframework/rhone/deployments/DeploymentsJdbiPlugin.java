package com.vangoframework.rhone.deployments;

import java.sql.Types;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.argument.AbstractArgumentFactory;
import org.jdbi.v3.core.argument.Argument;
import org.jdbi.v3.core.config.ConfigRegistry;
import org.jdbi.v3.core.spi.JdbiPlugin;

/** Reads and writes the enums as their lower-case column values ({@code build_failed}). */
public final class DeploymentsJdbiPlugin implements JdbiPlugin {

    @Override
    public void customizeJdbi(Jdbi jdbi) {
        jdbi.registerColumnMapper(DeploymentStatus.class,
                (rs, col, ctx) -> rs.getString(col) == null ? null : DeploymentStatus.fromDb(rs.getString(col)));
        jdbi.registerColumnMapper(DeploymentTrigger.class,
                (rs, col, ctx) -> rs.getString(col) == null ? null : DeploymentTrigger.fromDb(rs.getString(col)));
        jdbi.registerArgument(new AbstractArgumentFactory<DeploymentStatus>(Types.VARCHAR) {
            @Override
            protected Argument build(DeploymentStatus value, ConfigRegistry config) {
                return (position, statement, ctx) -> statement.setString(position, value.dbValue());
            }
        });
        jdbi.registerArgument(new AbstractArgumentFactory<DeploymentTrigger>(Types.VARCHAR) {
            @Override
            protected Argument build(DeploymentTrigger value, ConfigRegistry config) {
                return (position, statement, ctx) -> statement.setString(position, value.dbValue());
            }
        });
    }
}
