/** Teams, users, API tokens, apps and their encrypted env vars, and the admin CLI commands that create, list, change and revoke them (on the {@code cli} base). */
package com.vangoframework.rhone.apps;
