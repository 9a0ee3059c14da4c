/**
 * Teams, users' API tokens, apps with their encrypted env vars and registry credentials, and the
 * admin commands that create, list, change and revoke them (written on the {@code cli} base). The
 * bottom of the feature packages: it uses only {@code db}, {@code cli} and the neutral utilities,
 * and every feature may use it.
 */
package com.vangoframework.rhone.apps;
