package com.vangoframework.rhone.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The servlet context's refusals ({@code sendError} from a filter or a servlet, such as the 405
 * for a TRACE) in the API's error shape, as {@link JsonErrorHandler} does for Jetty's own. Jetty
 * writes an error body only for GET, POST and HEAD unless told otherwise: a PATCH, DELETE or TRACE
 * got a bare status with no sentence.
 */
public final class JsonServletErrorHandler extends org.eclipse.jetty.ee10.servlet.ErrorHandler {

    private final ObjectMapper json;

    public JsonServletErrorHandler(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        JsonErrorHandler.write(json, response, code, callback);
    }
}
