package com.vangoframework.rhone.web;

import com.vangoframework.rhone.deployments.DeploymentService;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;

/**
 * A deploy or retry that raced {@code delete-app}: the app is gone, so it is a 404 like any
 * missing app (JSON under {@code /api}, a page elsewhere), not a 500.
 */
public final class AppGoneMapper implements ExceptionMapper<DeploymentService.AppGone> {

    static final String MESSAGE = "this app was deleted; nothing was requested";

    @Context
    private UriInfo uri;
    @Context
    private SecurityContext security;

    @Override
    public Response toResponse(DeploymentService.AppGone e) {
        return Pages.errorFor(uri, security, 404, "Not found", MESSAGE);
    }
}
