package com.vangoframework.rhone.pipeline;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * Another process on the same work root, for {@link WorkDirKilledProcessTest}: {@code hold ROOT ID}
 * claims a build's work directory as a build does, prints its path and keeps it until killed;
 * {@code sweep ROOT} sweeps once and prints what it removed.
 */
public final class WorkDirChild {

    private WorkDirChild() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[1]);
        if (args[0].equals("hold")) {
            WorkDir held = WorkDir.claim(root, Long.parseLong(args[2]));
            System.out.println("holding " + held.path());
            System.out.flush();
            Thread.sleep(Duration.ofMinutes(5).toMillis()); // the test kills it long before
        } else {
            System.out.println("removed " + new WorkDirSweeper(root, Duration.ofMinutes(10), Clock.systemUTC()).sweep());
        }
    }
}
