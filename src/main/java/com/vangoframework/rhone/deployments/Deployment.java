package com.vangoframework.rhone.deployments;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/** One row of {@code deployments}; its JSON uses the column names. Lease fields stay internal. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Deployment(
        long id,
        long appId,
        DeploymentStatus status,
        DeploymentTrigger trigger,
        String branch,
        String commitSha,
        String commitMessage,
        String commitAuthor,
        Integer pullRequestNumber,
        Long retryOf,
        String imageTag,
        String imageDigest,
        String errorMessage,
        int attempt,
        @JsonIgnore String leaseOwner,
        @JsonIgnore Instant leaseExpiresAt,
        Instant cancelRequestedAt,
        Long supersededBy,
        Long checkRunId,
        Instant createdAt,
        Instant updatedAt,
        Instant buildStartedAt,
        Instant buildFinishedAt,
        Long buildDurationMs,
        Long imageSizeBytes,
        boolean fromFork,
        String headRepository,
        String approvedBy,
        Instant approvedAt) {

    /** The fence every write of a running build carries: this node, this claim. */
    public Lease lease() {
        return new Lease(id, leaseOwner, attempt);
    }

    public String shortSha() {
        return commitSha == null ? null : commitSha.substring(0, 12);
    }
}
