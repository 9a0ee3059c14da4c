package com.vangoframework.rhone.web;

import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import org.glassfish.jersey.server.ParamException;

/**
 * A query, path, header, cookie or form parameter that does not convert to its type (e.g.
 * {@code ?limit=abc}) is a 422 naming the parameter: JSON under {@code /api}, a page elsewhere.
 * Jersey's own answer would be a bare 404 for a query parameter, which reads as "no such route".
 */
public final class ParamExceptionMapper implements ExceptionMapper<ParamException> {

    @Context
    private UriInfo uri;

    @Override
    public Response toResponse(ParamException e) {
        String message = e.getParameterType().getSimpleName().replace("Param", "").toLowerCase(java.util.Locale.ROOT)
                + " parameter '" + e.getParameterName() + "' has a value of the wrong kind: it must be "
                + expected(e);
        return Pages.errorFor(uri, 422, "Invalid request", message);
    }

    /** What the parameter's Java type takes, in words. */
    private static String expected(ParamException e) {
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof NumberFormatException) {
                return "a whole number";
            }
        }
        return "a valid value";
    }
}
