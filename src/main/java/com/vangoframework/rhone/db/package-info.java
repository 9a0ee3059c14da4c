/** Where the database is (embedded PostgreSQL under the data dir, or a configured server) and the Flyway migrations; the {@code db migrate} command lives in {@code cli}. */
package com.vangoframework.rhone.db;
