package com.vangoframework.rhone.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts JVMs on the test classpath, as separate OS processes that a test can SIGKILL. */
public final class ChildProcesses {

    private ChildProcesses() {
    }

    public static Process java(Path log, List<String> jvmArgs, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(System.getProperty("rhone.test.java", Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.add("-Xmx256m");
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** A port free right now, for a child service to listen on (port 0 would hide it from us). */
    public static int freePort() throws IOException {
        try (var socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
