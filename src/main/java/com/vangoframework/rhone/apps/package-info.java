/** Teams, users, API tokens, apps and their encrypted env vars, and the admin CLI commands that create them. */
package com.vangoframework.rhone.apps;
