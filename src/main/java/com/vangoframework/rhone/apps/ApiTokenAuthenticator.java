package com.vangoframework.rhone.apps;

import io.dropwizard.auth.Authenticator;
import java.util.Optional;

/** Bearer tokens for the JSON API. A token is looked up by its SHA-256; the raw token is never stored or logged. */
public final class ApiTokenAuthenticator implements Authenticator<String, TeamPrincipal> {

    private final ApiTokenDao tokens;
    private final TeamDao teams;

    public ApiTokenAuthenticator(ApiTokenDao tokens, TeamDao teams) {
        this.tokens = tokens;
        this.teams = teams;
    }

    @Override
    public Optional<TeamPrincipal> authenticate(String token) {
        if (!ApiTokens.looksLikeToken(token)) {
            return Optional.empty();
        }
        byte[] hash = ApiTokens.sha256(token);
        Optional<TeamPrincipal> principal = tokens.findTeamId(hash)
                .flatMap(teams::findById)
                .map(team -> new TeamPrincipal(team.id(), team.slug()));
        principal.ifPresent(p -> tokens.touch(hash));
        return principal;
    }
}
