package com.vangoframework.rhone.deployments;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DeploymentStatusTest {

    @Test
    void happyPath_isTheOnlyRouteToBuilt() {
        assertThat(DeploymentStatus.PENDING.canMoveTo(DeploymentStatus.CLONING)).isTrue();
        assertThat(DeploymentStatus.CLONING.canMoveTo(DeploymentStatus.ANALYZING)).isTrue();
        assertThat(DeploymentStatus.ANALYZING.canMoveTo(DeploymentStatus.BUILDING)).isTrue();
        assertThat(DeploymentStatus.BUILDING.canMoveTo(DeploymentStatus.PUSHING)).isTrue();
        assertThat(DeploymentStatus.PUSHING.canMoveTo(DeploymentStatus.BUILT)).isTrue();
        assertThat(DeploymentStatus.CLONING.canMoveTo(DeploymentStatus.BUILT)).isFalse();
        assertThat(DeploymentStatus.PENDING.canMoveTo(DeploymentStatus.BUILT)).isFalse();
    }

    @ParameterizedTest
    @EnumSource(names = {"BUILD_FAILED", "CANCELLED", "LIVE", "DEPLOY_FAILED"})
    void terminalStatuses_goNowhere(DeploymentStatus status) {
        assertThat(status.next()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(names = {"CLONING", "ANALYZING", "BUILDING", "PUSHING"})
    void runningPhases_canFailBeCancelledOrBeRequeued(DeploymentStatus status) {
        assertThat(status.next()).contains(DeploymentStatus.BUILD_FAILED, DeploymentStatus.CANCELLED,
                DeploymentStatus.PENDING);
    }

    @Test
    void activeSql_isTheActiveStatusesAsAnSqlList() {
        String expected = "(" + DeploymentStatus.ACTIVE.stream().map(s -> "'" + s.dbValue() + "'")
                .collect(Collectors.joining(", ")) + ")";
        assertThat(DeploymentStatus.ACTIVE_SQL).isEqualTo(expected);
    }

    @Test
    void dbValues_roundTrip() {
        for (DeploymentStatus s : DeploymentStatus.values()) {
            assertThat(DeploymentStatus.fromDb(s.dbValue())).isEqualTo(s);
        }
        assertThat(DeploymentStatus.BUILD_FAILED.dbValue()).isEqualTo("build_failed");
    }
}
