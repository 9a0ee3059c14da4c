package com.vangoframework.rhone.apps;

import java.security.Principal;

/**
 * Whom a request acts for, as far as apps go: an API token's team, or the teams of a signed-in
 * person. It sees the apps of its teams and no others.
 */
public interface TeamScope extends Principal {

    boolean memberOf(long teamId);
}
