package com.vangoframework.rhone.web;

import com.vangoframework.rhone.deployments.PendingQuota;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;

/**
 * A deploy or retry past the team's quota of waiting deployments: a 429 with the sentence that
 * names the quota (JSON under {@code /api}, a page elsewhere). Nothing was written. No
 * {@code Retry-After}: when room comes depends on the builds ahead, not on a clock.
 */
public final class PendingQuotaMapper implements ExceptionMapper<PendingQuota.Exceeded> {

    @Context
    private UriInfo uri;
    @Context
    private SecurityContext security;

    @Override
    public Response toResponse(PendingQuota.Exceeded e) {
        return Pages.errorFor(uri, security, 429, "Too many waiting deployments", e.getMessage());
    }
}
