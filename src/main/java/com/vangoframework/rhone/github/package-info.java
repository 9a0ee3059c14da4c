/**
 * The GitHub App: its credentials (JWT, installation tokens), the signed webhook endpoint (this
 * feature's HTTP door) and what each event does, the Check Run reporter, the redelivery of failed
 * deliveries, and GitHub's side of "Sign in with GitHub" (whom it signs in is the web sessions'
 * decision). It may use {@code deployments}, {@code logs}, {@code apps} and the shared packages;
 * it knows nothing of {@code web} or {@code pipeline} (the root hands its tokens to the clone).
 */
package com.vangoframework.rhone.github;
