/** Where the database is (embedded PostgreSQL under the data dir, or a configured server), Flyway migrations and the db command. */
package com.vangoframework.rhone.db;
