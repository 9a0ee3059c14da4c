package com.vangoframework.rhone.cli;

import com.vangoframework.rhone.db.DatabaseConfiguration;
import com.vangoframework.rhone.db.JdbiSetup;

/**
 * What a command needs from the service's configuration. The application's configuration class
 * implements it, so this package never names the composition root (which names every command).
 */
public interface CommandConfiguration {

    DatabaseConfiguration getDatabase();

    /** Where the embedded database and a generated env var key live. */
    String getDataDir();

    /** RHONE_SECRET_KEY as configured; empty when the embedded mode generates one. */
    String getSecretKey();

    /** The address people open the service at, for links a command prints. */
    String publicUrl();

    /** The features' JDBI plugins and DAOs, for the command's database (the composition root's list). */
    JdbiSetup jdbiSetup();
}
