package com.vangoframework.rhone.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.db.DatabaseUnavailable;
import io.dropwizard.jersey.errors.ErrorMessage;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * {@link DatabaseUnavailableMapper} for what answers outside Jersey: the live streams' filters ask
 * the database for the session and the app before they stream. A database that cannot be reached
 * or did not answer in time is a 503 with {@code Retry-After} in the API's error shape, not
 * Jetty's 500; anything else passes on unchanged, and so does a failure after the answer began.
 */
public final class DatabaseUnavailableFilter implements Filter {

    static final String MESSAGE = "the database is unreachable or too slow right now; try again in "
            + DatabaseUnavailable.RETRY_AFTER_SECONDS + " s";

    private final ObjectMapper json;

    public DatabaseUnavailableFilter(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        try {
            chain.doFilter(request, response);
        } catch (RuntimeException e) {
            if (!DatabaseUnavailable.isCause(e) || response.isCommitted()) {
                throw e;
            }
            refuse((HttpServletRequest) request, (HttpServletResponse) response, e);
        } catch (ServletException e) {
            if (!DatabaseUnavailable.isCause(e) || response.isCommitted()) {
                throw e;
            }
            refuse((HttpServletRequest) request, (HttpServletResponse) response, e);
        }
    }

    private void refuse(HttpServletRequest request, HttpServletResponse http, Exception e) throws IOException {
        DatabaseRefusals.refused(request.getRequestURI(), e);
        http.resetBuffer(); // not reset(): the security headers set before this stay
        http.setStatus(503);
        http.setHeader("Retry-After", Integer.toString(DatabaseUnavailable.RETRY_AFTER_SECONDS));
        http.setContentType("application/json");
        http.getOutputStream().write(json.writeValueAsBytes(new ErrorMessage(503, MESSAGE)));
    }
}
