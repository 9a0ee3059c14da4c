/**
 * Build logs: append-only chunked storage with batched, masked, capped writes, reading them back,
 * and their live fan-out (one LISTEN connection per node, shared with the live app pages). No
 * HTTP here: the SSE stream that serves them is {@code web.LogStreamFilter}.
 */
package com.vangoframework.rhone.logs;
