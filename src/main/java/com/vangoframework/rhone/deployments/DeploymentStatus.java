package com.vangoframework.rhone.deployments;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The life of a deployment. Each status knows where it may go next; the DAO turns every move into
 * a compare-and-set on the old status, so a cancel racing a build step cannot write a history that
 * these rules forbid. {@code deploying}, {@code live} and {@code deploy_failed} are reserved for
 * the deploy phase.
 */
public enum DeploymentStatus {
    AWAITING_APPROVAL, PENDING, CLONING, ANALYZING, BUILDING, PUSHING, BUILT, BUILD_FAILED, CANCELLED,
    DEPLOYING, LIVE, DEPLOY_FAILED;

    /** A node holds a lease on rows in these statuses; at most one per app (a unique index). */
    public static final Set<DeploymentStatus> ACTIVE = EnumSet.of(CLONING, ANALYZING, BUILDING, PUSHING);

    /**
     * {@link #ACTIVE} as an SQL list for the DAOs to concatenate: their annotations take only constants
     * and their SQL goes through no template engine (DeploymentStatusTest holds the list and the set
     * equal). A literal list, not a bound array: the partial indexes on running rows (V1) have this
     * predicate, and PostgreSQL uses them only for queries it can see imply it.
     */
    public static final String ACTIVE_SQL = "('cloning', 'analyzing', 'building', 'pushing')";

    /** Requested and not started: the queue's ({@code pending}) and a fork's waiting for approval. */
    public static final Set<DeploymentStatus> NOT_STARTED = EnumSet.of(PENDING, AWAITING_APPROVAL);

    /** {@link #NOT_STARTED} as an SQL list, for the same reason as {@link #ACTIVE_SQL}. */
    public static final String NOT_STARTED_SQL = "('awaiting_approval', 'pending')";

    /** The build is over, whichever way. */
    public static final Set<DeploymentStatus> BUILD_FINISHED = EnumSet.of(BUILT, BUILD_FAILED, CANCELLED);

    public boolean isActive() {
        return ACTIVE.contains(this);
    }

    public boolean isBuildFinished() {
        return BUILD_FINISHED.contains(this);
    }

    public Set<DeploymentStatus> next() {
        return switch (this) {
            // A fork's pull request waits for a person: approved, it joins the queue.
            case AWAITING_APPROVAL -> EnumSet.of(PENDING, CANCELLED);
            // pending -> build_failed: a request that can never start (e.g. its app lost its source).
            case PENDING -> EnumSet.of(CLONING, CANCELLED, BUILD_FAILED);
            // Any running phase can fail, be cancelled, or go back to pending when its node stops.
            case CLONING -> EnumSet.of(ANALYZING, BUILD_FAILED, CANCELLED, PENDING);
            case ANALYZING -> EnumSet.of(BUILDING, BUILD_FAILED, CANCELLED, PENDING);
            case BUILDING -> EnumSet.of(PUSHING, BUILD_FAILED, CANCELLED, PENDING);
            case PUSHING -> EnumSet.of(BUILT, BUILD_FAILED, CANCELLED, PENDING);
            case BUILT -> EnumSet.of(DEPLOYING);
            case DEPLOYING -> EnumSet.of(LIVE, DEPLOY_FAILED);
            case BUILD_FAILED, CANCELLED, LIVE, DEPLOY_FAILED -> EnumSet.noneOf(DeploymentStatus.class);
        };
    }

    public boolean canMoveTo(DeploymentStatus to) {
        return next().contains(to);
    }

    @JsonValue
    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DeploymentStatus fromDb(String value) {
        return Arrays.stream(values()).filter(s -> s.dbValue().equals(value)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown deployment status: " + value));
    }
}
