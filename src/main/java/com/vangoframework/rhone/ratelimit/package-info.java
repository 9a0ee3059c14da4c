/**
 * Keyed, bounded token-bucket rate limiting (Bucket4j) for any caller that paces requests per
 * source address, app or installation. A neutral utility: it imports no rhone feature package, and
 * each caller keeps its own limits and its own answer to a refused request.
 */
package com.vangoframework.rhone.ratelimit;
