package com.vangoframework.rhone.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * The test starts rhone in child JVMs (a CLI command per call, a node it kills), each paying a
 * JVM's start-up, so it belongs to the integration tier: {@code mvn -B verify} runs it,
 * {@code mvn test} does not.
 */
@Tag("child-processes")
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface NeedsChildProcesses {
}
