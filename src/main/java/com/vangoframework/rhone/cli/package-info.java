/**
 * The base of the admin commands: opening the database for one command, the one-line error a
 * person sees, and the table the list commands print. It may use {@code db} and nothing else of
 * rhone: the feature packages write their commands on it, and the composition root's
 * configuration answers {@link com.vangoframework.rhone.cli.CommandConfiguration}.
 */
package com.vangoframework.rhone.cli;
