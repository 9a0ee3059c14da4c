/** The team-scoped JSON API for deployments, authenticated with bearer tokens. */
package com.vangoframework.rhone.web.api;
