package com.vangoframework.rhone.web;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;

/** HTML answers for the dashboard: error pages people can read, and redirects. */
public final class Pages {

    private Pages() {
    }

    public static WebApplicationException error(int status, String title, String message, Viewer viewer) {
        return new WebApplicationException(message, errorResponse(status, title, message, viewer).build());
    }

    public static Response.ResponseBuilder errorResponse(int status, String title, String message, Viewer viewer) {
        return Response.status(status).type(MediaType.TEXT_HTML_TYPE.withCharset("utf-8"))
                .entity(new Page("error", title, viewer).with("status", status).with("message", message));
    }

    /**
     * An error in the asker's language, for mappers that serve both edges: JSON under
     * {@code /api} (the API's {@code {"code", "message"}}), an error page elsewhere.
     */
    public static Response errorFor(jakarta.ws.rs.core.UriInfo uri, int status, String title, String message) {
        return errorFor(uri, null, status, title, message);
    }

    /** The same, with the signed-in viewer (if any) shown on the page like on every other page. */
    public static Response errorFor(jakarta.ws.rs.core.UriInfo uri, jakarta.ws.rs.core.SecurityContext who,
                                    int status, String title, String message) {
        if (uri.getPath().startsWith("api/")) {
            return ApiErrors.response(status, message).build();
        }
        Viewer viewer = who != null && who.getUserPrincipal() instanceof Viewer v ? v : null;
        return errorResponse(status, title, message, viewer).build();
    }

    public static WebApplicationException notFound(String message, Viewer viewer) {
        return error(404, "Not found", message, viewer);
    }

    /** Every form POST: refused (403, nothing changed) unless it carried the session's CSRF token. */
    public static void requireCsrf(Viewer viewer, String submitted) {
        if (!Sessions.csrfMatches(viewer, submitted)) {
            throw csrfRefused(viewer);
        }
    }

    /** A form POST without the session's CSRF token: refused, nothing changed. */
    public static WebApplicationException csrfRefused(Viewer viewer) {
        return error(403, "Form expired", "This form did not carry a valid security token (CSRF): reload the page "
                + "and try again.", viewer);
    }

    /** 303 See Other: after a form POST the browser GETs the target. */
    public static Response seeOther(String path) {
        return Response.seeOther(URI.create(path)).build();
    }

    /** Only paths on this site: anything else (a scheme, "//host") becomes the app list. */
    public static String safeNext(String next) {
        if (next == null || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")
                || next.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            return "/apps";
        }
        return next;
    }
}
