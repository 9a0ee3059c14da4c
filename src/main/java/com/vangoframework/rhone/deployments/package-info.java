/** The deployment record and its status rules, the DAO whose updates are compare-and-sets, the service that requests, supersedes, cancels and retries, the durable build queue and its health check, the JSON API, and the admin commands that list, show and delete apps together with their deployments. */
package com.vangoframework.rhone.deployments;
