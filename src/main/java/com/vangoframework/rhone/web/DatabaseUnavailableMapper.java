package com.vangoframework.rhone.web;

import com.vangoframework.rhone.db.DatabaseUnavailable;
import com.vangoframework.rhone.db.SqlFailure;
import io.dropwizard.jersey.errors.LoggingExceptionMapper;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.core.UriInfo;
import org.jdbi.v3.core.JdbiException;

/**
 * A database that cannot be reached or did not answer in time (see {@link DatabaseUnavailable}):
 * a 503 with {@code Retry-After} and a sentence, JSON under {@code /api} and a page elsewhere,
 * for every route and for the sign-in filters, which ask the database first. Any other database
 * failure stays what it was: a logged 500 with an id.
 */
public abstract class DatabaseUnavailableMapper<E extends RuntimeException> extends LoggingExceptionMapper<E> {

    static final String API_MESSAGE = "the database is unreachable or too slow right now; try again in "
            + DatabaseUnavailable.RETRY_AFTER_SECONDS + " s (a deployment requested with an Idempotency-Key "
            + "can be requested again safely)";
    static final String PAGE_MESSAGE = "The database is unreachable or too slow right now, so this page could not "
            + "be shown. Try again in a few seconds; if you pressed a button, check whether it took effect first.";

    @Context
    private UriInfo uri;
    @Context
    private SecurityContext security;

    @Override
    public Response toResponse(E e) {
        if (!DatabaseUnavailable.isCause(e)) {
            return super.toResponse(e);
        }
        boolean api = uri.getPath().startsWith("api/");
        // The raw path: a decoded one could carry line breaks into the log.
        DatabaseRefusals.refused(uri.getRequestUri().getRawPath(), e);
        Response answer = Pages.errorFor(uri, security, 503, "Database unavailable", api ? API_MESSAGE : PAGE_MESSAGE);
        return Response.fromResponse(answer)
                .header(HttpHeaders.RETRY_AFTER, DatabaseUnavailable.RETRY_AFTER_SECONDS).build();
    }

    /** JDBI's exceptions: a connection it could not get, a statement that failed. */
    public static final class OfJdbi extends DatabaseUnavailableMapper<JdbiException> {
    }

    /** Statements run as plain JDBC (a deployment request's insert). */
    public static final class OfSqlFailure extends DatabaseUnavailableMapper<SqlFailure> {
    }
}
