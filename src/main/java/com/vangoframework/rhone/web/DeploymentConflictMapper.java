package com.vangoframework.rhone.web;

import com.vangoframework.rhone.deployments.DeploymentService;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;

/**
 * Cancel or retry of a deployment whose status does not allow it: a 409 with the service's
 * sentence (JSON under {@code /api}, a page titled after the action elsewhere), for every route.
 */
public final class DeploymentConflictMapper implements ExceptionMapper<DeploymentService.DeploymentConflict> {

    @Context
    private UriInfo uri;
    @Context
    private SecurityContext security;

    @Override
    public Response toResponse(DeploymentService.DeploymentConflict e) {
        String path = uri.getPath();
        String action = path.substring(path.lastIndexOf('/') + 1); // the routes end in /cancel or /retry
        return Pages.errorFor(uri, security, 409, "Cannot " + action, e.getMessage());
    }
}
