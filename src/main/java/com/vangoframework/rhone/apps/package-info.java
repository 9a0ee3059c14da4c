/** Teams, users, API tokens, apps and their encrypted env vars, the admin CLI commands that create, list, change and revoke them, and the table format the list commands share. */
package com.vangoframework.rhone.apps;
