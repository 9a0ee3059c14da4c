package com.vangoframework.rhone.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.jersey.errors.ErrorMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own refusals (a request line or headers too long, a message it cannot parse) in the
 * API's error shape, {@code {"code": N, "message": "…"}}, instead of its HTML page. The message is
 * a fixed sentence per status: nothing of the refused request is echoed.
 */
public final class JsonErrorHandler extends ErrorHandler {

    private final ObjectMapper json;

    public JsonErrorHandler(ObjectMapper json) {
        this.json = json;
    }

    static String sentence(int status) {
        return switch (status) {
            case 400 -> "the request could not be parsed";
            case 413 -> "the request body is too large";
            case 414 -> "the request line is too long";
            case 415 -> "the request body's media type is not supported";
            case 431 -> "the request headers are too large";
            default -> {
                String reason = HttpStatus.getMessage(status);
                yield reason == null ? "error " + status : reason.toLowerCase(java.util.Locale.ROOT);
            }
        };
    }

    private static byte[] body(ObjectMapper json, int status) {
        try {
            return json.writeValueAsBytes(new ErrorMessage(status, sentence(status)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every method gets its sentence; Jetty's default writes a body only for GET, POST and HEAD. */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        write(json, response, code, callback);
    }

    /** The whole answer for {@code status}: its JSON body and Content-Type ({@link JsonServletErrorHandler} too). */
    static void write(ObjectMapper json, Response response, int status, Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(body(json, status)), callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(body(json, status));
    }
}
