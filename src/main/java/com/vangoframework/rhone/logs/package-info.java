/** Build logs: append-only chunked storage with batched, masked, capped writes, and reading them back. */
package com.vangoframework.rhone.logs;
