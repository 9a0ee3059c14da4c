package com.vangoframework.rhone.apps;

import java.security.Principal;

/** Who an API call acts for: the team its token belongs to. */
public record TeamPrincipal(long teamId, String teamSlug) implements Principal {

    @Override
    public String getName() {
        return teamSlug;
    }
}
