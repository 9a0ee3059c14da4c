/**
 * The HTTP edge: sessions and sign-in, the Freemarker pages and their forms, the Server-Sent
 * Events streams (build logs in {@link com.vangoframework.rhone.web.LogStreamFilter}, the live app
 * pages in {@link com.vangoframework.rhone.web.AppEventsFilter}, fed by
 * {@link com.vangoframework.rhone.web.LiveApps}, both counted by
 * {@link com.vangoframework.rhone.web.StreamSlots}), JSON error bodies with one actionable sentence
 * (a database that does not answer is a 503 with {@code Retry-After} on every door:
 * {@link com.vangoframework.rhone.web.DatabaseUnavailableMapper}),
 * and the JSON API in {@code web.api}. On Jersey's routes, who is calling is resolved once per
 * request by dropwizard-auth (a bearer token is a team, the session cookie a
 * {@link com.vangoframework.rhone.web.Viewer}); the two SSE filters, outside Jersey, read the
 * cookie through {@code Sessions} themselves. What that caller may see, one
 * {@link com.vangoframework.rhone.web.AppAccess} answers for every route and stream. Page scripts
 * are static files under {@code /assets/}, so the Content-Security-Policy that
 * {@link com.vangoframework.rhone.web.SecurityHeadersFilter} puts on every response can forbid
 * inline ones. It may use {@code github},
 * {@code deployments}, {@code logs}, {@code apps} and the shared packages; the features it calls
 * know no HTTP.
 */
package com.vangoframework.rhone.web;
