/**
 * The team-scoped JSON API for deployments, authenticated with bearer tokens (a token is a
 * {@code TeamPrincipal}); app and deployment lookups go through {@code web.AppAccess} like every
 * other route.
 */
package com.vangoframework.rhone.web.api;
