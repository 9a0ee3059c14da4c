package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.TeamScope;
import java.util.Set;

/**
 * A signed-in person: who, which teams they may see, and the session's CSRF token. The principal
 * of the dashboard's routes, resolved from the session cookie by {@link SessionCookieFilter}.
 */
public record Viewer(long userId, String login, Set<Long> teamIds, String csrfToken) implements TeamScope {

    @Override
    public String getName() {
        return login;
    }

    @Override
    public boolean memberOf(long teamId) {
        return teamIds.contains(teamId);
    }
}
