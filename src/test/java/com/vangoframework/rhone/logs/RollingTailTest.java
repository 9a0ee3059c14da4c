package com.vangoframework.rhone.logs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RollingTailTest {

    @Test
    void longLines_areKeptUpToTheBudgetOfStoredBytes() {
        RollingTail tail = new RollingTail(10_000);
        for (int i = 0; i < 100; i++) {
            tail.add("x".repeat(999), 1000);
        }
        assertThat(tail.keptLines()).isEqualTo(10);
        assertThat(tail.leftOutLines()).isEqualTo(90);
        assertThat(tail.leftOutBytes()).isEqualTo(90_000);
    }

    @Test
    void aFloodOfShortLines_keepsFewerOfThem_soTheirHeapStaysWithinTwiceTheBudget() {
        RollingTail tail = new RollingTail(10_000);
        for (int i = 0; i < 10_000; i++) {
            tail.add("a", 10);
        }
        // 10 bytes stored, 74 held: 20,000 / 74 lines at most, though 1,000 would fit the bytes.
        assertThat(tail.keptLines()).isEqualTo(20_000 / (10 + RollingTail.LINE_OVERHEAD));
        assertThat((long) tail.keptLines() * (10 + RollingTail.LINE_OVERHEAD)).isLessThanOrEqualTo(20_000);
        assertThat(tail.leftOutLines()).isEqualTo(10_000 - tail.keptLines());
    }
}
