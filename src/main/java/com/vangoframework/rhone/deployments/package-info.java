/**
 * The deployment record and its status rules, the DAO whose updates are compare-and-sets, the
 * service that requests (once per idempotency key: {@code IdempotencyKey}), supersedes (in commit
 * order: {@code PushOrder}), cancels and retries,
 * each team's quota of waiting deployments ({@code PendingQuota}), the durable build queue
 * (claims, leases, the build worker) with its health check and metrics, and the commands that
 * list, show and delete apps with their deployments. The queue owns the {@code BuildPipeline}
 * port that {@code pipeline} implements. It may use {@code apps}, {@code db}, {@code cli} and the neutral
 * utilities; no HTTP here (the JSON API is {@code web.api}).
 */
package com.vangoframework.rhone.deployments;
