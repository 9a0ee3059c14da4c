package com.vangoframework.rhone.web;

import com.vangoframework.rhone.deployments.DeploymentService;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;

/**
 * An {@code Idempotency-Key} used again for a different request: a 422 with the service's
 * sentence, and nothing created. (Only the API takes the header; a page would say the same.)
 */
public final class IdempotencyConflictMapper implements ExceptionMapper<DeploymentService.IdempotencyConflict> {

    @Context
    private UriInfo uri;

    @Override
    public Response toResponse(DeploymentService.IdempotencyConflict e) {
        return Pages.errorFor(uri, 422, "Invalid request", e.getMessage());
    }
}
