/** The deployment record and its status rules, the DAO whose updates are compare-and-sets, the service that requests, supersedes, cancels and retries, the durable build queue and its health check, and the JSON API. */
package com.vangoframework.rhone.deployments;
