/**
 * The GitHub App: its credentials (JWT, installation tokens), the signed webhook endpoint and what
 * each event does, the Check Run reporter, and the redelivery of failed deliveries.
 */
package com.vangoframework.rhone.github;
