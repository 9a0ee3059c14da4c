package com.vangoframework.rhone.db;

import com.codahale.metrics.health.HealthCheck;
import org.jdbi.v3.core.Jdbi;

/**
 * One round trip through the service's pool: a connection taken as a request takes one, and
 * {@code SELECT 1} on it. Unhealthy with the reason in words; {@link BoundedHealthCheck} bounds how
 * long it may take.
 */
public final class DatabaseHealthCheck extends HealthCheck {

    private final Jdbi jdbi;

    public DatabaseHealthCheck(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    @Override
    protected Result check() {
        long started = System.nanoTime();
        try {
            jdbi.useHandle(h -> h.createQuery("/* rhone health */ SELECT 1").mapTo(Integer.class).one());
        } catch (RuntimeException e) {
            // The sentence only: /healthcheck would print a stack trace with the exception.
            return Result.unhealthy((DatabaseUnavailable.isCause(e) ? "the database cannot be reached or did not "
                    + "answer" : "the database refused the health query") + ": " + rootMessage(e));
        }
        return Result.healthy("the database answered in %d ms", (System.nanoTime() - started) / 1_000_000);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
