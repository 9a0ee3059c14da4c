/**
 * Named daemon threads and the executors made from them, for the components that create their
 * threads in {@code start()} and stop them in {@code stop()}. A neutral utility: it imports no
 * rhone package, and every package may use it.
 */
package com.vangoframework.rhone.threads;
