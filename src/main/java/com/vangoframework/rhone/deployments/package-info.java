/**
 * The deployment record and its status rules, the DAO whose updates are compare-and-sets, the
 * service that requests, supersedes, cancels and retries, the durable build queue and its health
 * check, and the admin commands that list, show and delete apps with their deployments. The queue
 * owns the {@code BuildPipeline} port that the {@code pipeline} package implements. No HTTP here:
 * the JSON API is {@code web.api}.
 */
package com.vangoframework.rhone.deployments;
