package com.vangoframework.rhone.web;

import io.dropwizard.jersey.errors.ErrorMessage;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Optional;
import java.util.function.Supplier;

/** JSON errors for the API: {@code {"code": 404, "message": "..."}} with one actionable sentence. */
public final class ApiErrors {

    private ApiErrors() {
    }

    public static WebApplicationException error(int status, String message) {
        return new WebApplicationException(message, response(status, message).build());
    }

    /** The same body as a response to finish (for answers that need headers, such as Retry-After). */
    public static Response.ResponseBuilder response(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(new ErrorMessage(status, message));
    }

    public static WebApplicationException notFound(String message) {
        return error(404, message);
    }

    public static WebApplicationException unprocessable(String message) {
        return error(422, message);
    }

    public static WebApplicationException badRequest(String message) {
        return error(400, message);
    }

    /** The one place an empty lookup becomes a 404. */
    public static <T> T found(Optional<T> value, Supplier<String> message) {
        return value.orElseThrow(() -> notFound(message.get()));
    }
}
