package com.vangoframework.rhone.deployments;

/**
 * A node's claim on a running deployment. The attempt number makes it a fencing token: once the
 * row has been requeued and claimed again, writes carrying an older lease match no row.
 */
public record Lease(long deploymentId, String owner, int attempt) {
}
