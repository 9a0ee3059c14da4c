package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SecretMaskerTest {

    @Test
    void everyOccurrenceIsMasked_longestSecretFirst() {
        SecretMasker masker = new SecretMasker(List.of("abcd", "abcdefgh"));
        assertThat(masker.apply("x abcdefgh y abcd z")).isEqualTo("x **** y **** z");
    }

    @Test
    void multiLineValues_areMaskedLineByLine() {
        SecretMasker masker = new SecretMasker(List.of("-----BEGIN KEY-----\nMIIEvQIBADANBgkq\n-----END KEY-----"));
        assertThat(masker.apply("MIIEvQIBADANBgkq")).isEqualTo("****");
    }

    @Test
    void tinyValuesAreNotMasked_soLogsStayReadable() {
        SecretMasker masker = new SecretMasker(List.of("1", "on", "", "real-secret"));
        assertThat(masker.apply("step 1 is on: real-secret")).isEqualTo("step 1 is on: ****");
    }
}
