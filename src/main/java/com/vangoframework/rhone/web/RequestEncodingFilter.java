package com.vangoframework.rhone.web;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Refuses request bodies sent compressed ({@code Content-Encoding} other than {@code identity})
 * with a 415 in the API's error shape, before anything reads them. No client of rhone compresses
 * what it sends (GitHub's deliveries, the API's small JSON bodies, the dashboard's forms), and the
 * server's gzip handler would otherwise inflate such a body while an endpoint reads it: a body
 * that only claims to be gzip then failed the read as a 500, and a real one could expand far past
 * the size its connection carried.
 */
public final class RequestEncodingFilter implements Filter {

    static final String MESSAGE = "Content-Encoding is not supported: send the request body uncompressed";

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        String encoding = ((HttpServletRequest) request).getHeader("Content-Encoding");
        if (encoding == null || encoding.isBlank() || encoding.strip().equalsIgnoreCase("identity")) {
            chain.doFilter(request, response);
            return;
        }
        HttpServletResponse http = (HttpServletResponse) response;
        byte[] body = ("{\"code\":415,\"message\":\"" + MESSAGE + "\"}").getBytes(StandardCharsets.UTF_8);
        http.setStatus(415);
        http.setHeader("Connection", "close"); // the body is left unread
        http.setContentType("application/json");
        http.setContentLength(body.length);
        http.getOutputStream().write(body);
    }
}
