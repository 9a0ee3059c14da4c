/**
 * Where the database is (embedded PostgreSQL under the data dir, on a port kept there and restarted
 * by {@link com.vangoframework.rhone.db.EmbeddedPostgresSupervisor} if it dies, or a configured server), the
 * Flyway migrations, the LISTEN connection, and the {@link com.vangoframework.rhone.db.JdbiSetup}
 * through which the composition root hands in the features' JDBI plugins and DAOs, and
 * {@link com.vangoframework.rhone.db.StoredText}, which every writer of outside text (build logs,
 * commits, failure sentences) uses to make it storable; the bounds on every wait of the pool
 * ({@link com.vangoframework.rhone.db.DatabaseConfiguration}), what counts as a database that is
 * unreachable or too slow ({@link com.vangoframework.rhone.db.DatabaseUnavailable}), and health
 * checks that answer within a bound whatever it does. It names no other rhone package but the
 * neutral {@code threads} (whose FailureStreak keeps a LISTEN loop's failures quiet); every package
 * may use it.
 */
package com.vangoframework.rhone.db;
