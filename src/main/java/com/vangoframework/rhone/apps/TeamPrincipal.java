package com.vangoframework.rhone.apps;

/** Who an API call acts for: the team its token belongs to, and which token (for its rate limits). */
public record TeamPrincipal(long tokenId, long teamId, String teamSlug) implements TeamScope {

    @Override
    public String getName() {
        return teamSlug;
    }

    @Override
    public boolean memberOf(long teamId) {
        return this.teamId == teamId;
    }
}
