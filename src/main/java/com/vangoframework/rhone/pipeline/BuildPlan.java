package com.vangoframework.rhone.pipeline;

import java.nio.file.Path;

/**
 * How to build a checked-out repo. A Dockerfile build uses BuildKit's {@code dockerfile.v0}
 * frontend; a Railpack build feeds {@code railpack-plan.json} (in {@code planDir}) to the railpack
 * gateway frontend.
 */
public record BuildPlan(Kind kind, Path contextDir, Path planDir) {

    public enum Kind { DOCKERFILE, RAILPACK }

    public static BuildPlan dockerfile(Path contextDir) {
        return new BuildPlan(Kind.DOCKERFILE, contextDir, contextDir);
    }

    public static BuildPlan railpack(Path contextDir, Path planDir) {
        return new BuildPlan(Kind.RAILPACK, contextDir, planDir);
    }

    public Path planFile() {
        return kind == Kind.DOCKERFILE ? planDir.resolve("Dockerfile") : planDir.resolve(RailpackAnalyzer.PLAN_FILE);
    }
}
