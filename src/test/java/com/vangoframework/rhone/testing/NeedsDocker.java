package com.vangoframework.rhone.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * The test builds with the local Docker engine's BuildKit or reads the local registry
 * (ops/setup-local-builder), so it belongs to the integration tier: {@code mvn -B verify} runs
 * it, {@code mvn test} does not.
 */
@Tag("docker")
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface NeedsDocker {
}
