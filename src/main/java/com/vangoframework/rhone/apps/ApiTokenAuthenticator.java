package com.vangoframework.rhone.apps;

import io.dropwizard.auth.Authenticator;
import java.util.Optional;

/** Bearer tokens for the JSON API. A token is looked up by its SHA-256; the raw token is never stored or logged. */
public final class ApiTokenAuthenticator implements Authenticator<String, TeamPrincipal> {

    private final ApiTokenDao tokens;

    public ApiTokenAuthenticator(ApiTokenDao tokens) {
        this.tokens = tokens;
    }

    @Override
    public Optional<TeamPrincipal> authenticate(String token) {
        if (!ApiTokens.looksLikeToken(token)) {
            return Optional.empty();
        }
        byte[] hash = ApiTokens.sha256(token);
        Optional<TeamPrincipal> principal = tokens.findTeam(hash);
        principal.ifPresent(p -> tokens.touch(hash));
        return principal;
    }
}
