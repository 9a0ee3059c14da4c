/**
 * The GitHub App: its credentials (JWT, installation tokens), the signed webhook endpoint and what
 * each event does, the Check Run reporter, the redelivery of failed deliveries, and GitHub's side
 * of "Sign in with GitHub" (whom it signs in is the web sessions' decision). It knows nothing of
 * {@code web}.
 */
package com.vangoframework.rhone.github;
