/**
 * Build logs: append-only chunked storage with batched, masked, capped writes, reading them back
 * line by line ({@code LogLines}), retention, and their live fan-out (one LISTEN connection per
 * node, shared with the live app pages). It may use {@code deployments}, {@code apps} and the
 * shared packages; no HTTP here (the SSE stream that serves logs is {@code web.LogStreamFilter}).
 */
package com.vangoframework.rhone.logs;
