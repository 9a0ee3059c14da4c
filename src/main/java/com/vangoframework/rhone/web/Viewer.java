package com.vangoframework.rhone.web;

import java.util.Set;

/** A signed-in person: who, which teams they may see, and the session's CSRF token. */
public record Viewer(long userId, String login, Set<Long> teamIds, String csrfToken) {

    public boolean memberOf(long teamId) {
        return teamIds.contains(teamId);
    }
}
