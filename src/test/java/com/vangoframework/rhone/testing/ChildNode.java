package com.vangoframework.rhone.testing;

/**
 * Entry point of a rhone node started as a separate OS process by the crash tests: the real
 * application whose pipeline sleeps for {@code -Drhone.test.buildMillis} (long by default, so a
 * build is still running when the test kills the process).
 */
public final class ChildNode {

    private ChildNode() {
    }

    public static void main(String[] args) throws Exception {
        long millis = Long.getLong("rhone.test.buildMillis", 600_000L);
        new TestApplication(new ScriptedPipeline().then(ScriptedPipeline.sleep(millis))).run(args);
    }
}
