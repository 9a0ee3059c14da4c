package com.vangoframework.rhone.cli;

import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.core.cli.Cli;
import java.io.FileNotFoundException;
import java.nio.file.NoSuchFileException;

/**
 * How a command that fails before it could do anything talks to the person who typed it: one
 * line on stderr saying what to fix, not Dropwizard's stack trace. {@code RHONE_DEBUG=1} prints
 * the trace as well, for a bug report.
 */
public final class CliErrors {

    private CliErrors() {
    }

    /** Prints a configuration problem as one line; false when {@code e} is something else. */
    public static boolean reportConfigurationProblem(Cli cli, Throwable e) {
        String line;
        if (e instanceof FileNotFoundException || e instanceof NoSuchFileException) {
            line = "error: " + e.getMessage() + ": give the path of a configuration file (e.g. config.yml)"
                    + ", or none to use the bundled config.yml";
        } else if (e instanceof ConfigurationException) {
            // Dropwizard's message names the file and each field with what is wrong with it, over
            // several lines; its first paragraph is the part a person acts on.
            line = "error: " + e.getMessage().strip().split("\\R\\s*\\R", 2)[0].replaceAll("\\s*\\R\\s*", " ");
        } else {
            return false;
        }
        cli.getStdErr().println(line);
        printTraceIfAsked(cli, e);
        return true;
    }

    /** Any other failure: its messages, cause by cause, on one line. */
    public static void reportFailure(Cli cli, Throwable e) {
        StringBuilder line = new StringBuilder("error: ");
        String last = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().strip();
            if (last == null || !last.contains(message)) {
                line.append(last == null ? "" : ": ").append(message.replaceAll("\\s*\\R\\s*", " "));
                last = message;
            }
        }
        cli.getStdErr().println(line);
        printTraceIfAsked(cli, e);
    }

    private static void printTraceIfAsked(Cli cli, Throwable e) {
        if ("1".equals(System.getenv("RHONE_DEBUG"))) {
            e.printStackTrace(cli.getStdErr());
        }
    }
}
