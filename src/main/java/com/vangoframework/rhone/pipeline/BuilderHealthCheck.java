package com.vangoframework.rhone.pipeline;

import com.codahale.metrics.health.HealthCheck;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The image builder answers: the Docker engine reports its version, or BuildKit lists its workers. */
public final class BuilderHealthCheck extends HealthCheck {

    private final ProcessRunner runner;
    private final List<String> probe;
    private final String what;

    /** The probe runs with the runner's clean environment and empty home, like every other program. */
    public BuilderHealthCheck(ProcessRunner runner, List<String> probe, String what) {
        this.runner = runner;
        this.probe = List.copyOf(probe);
        this.what = what;
    }

    @Override
    protected Result check() throws InterruptedException {
        Process p;
        try {
            p = runner.processBuilder(new ProcessRunner.Command(probe, null, java.util.Map.of(), java.time.Duration.ofSeconds(10)))
                    .start();
        } catch (IOException e) {
            return Result.unhealthy("%s: %s cannot be started (%s)", what, probe.get(0), e.getMessage());
        }
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return Result.unhealthy("%s did not answer within 10 s", what);
        }
        String out;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            out = "";
        }
        String last = out.lines().reduce((a, b) -> b).orElse("");
        return p.exitValue() == 0 ? Result.healthy("%s answers: %s", what, last)
                : Result.unhealthy("%s does not answer: %s", what, last.isEmpty() ? "exit " + p.exitValue() : last);
    }
}
