package com.vangoframework.rhone.pipeline;

/**
 * Where a BuildKit step stands. {@code CANCELED} is kept apart from {@code ERROR}: when one step
 * fails, BuildKit cancels the steps running beside it, and those are not the cause.
 */
public enum StepStatus {
    RUNNING, DONE, CACHED, ERROR, CANCELED;

    boolean finished() {
        return this != RUNNING;
    }
}
