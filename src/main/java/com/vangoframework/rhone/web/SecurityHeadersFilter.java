package com.vangoframework.rhone.web;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;

/**
 * The browser's own defences, on every response of the application port: pages, error pages,
 * redirects, assets, the SSE streams, the log download and the JSON API alike.
 *
 * <p>The headers are set before the chain runs, not after: the streams commit their headers with
 * the first event and never return to this filter until the stream ends, and a page's headers are
 * gone to the browser once its body starts. Setting them on every response, whatever its type,
 * costs nothing and leaves no route to forget (a policy on a script or a JSON body is ignored).
 */
public final class SecurityHeadersFilter implements Filter {

    /**
     * What the pages need and no more: scripts, styles and requests from this origin only (the
     * scripts are files under /assets/, the pages have no inline script, no {@code style="..."}
     * attribute and no images from elsewhere), forms that post back here, and no framing. Links
     * to GitHub are navigations, which the policy leaves alone; "Sign in with GitHub" is a link,
     * not a form, so {@code form-action} need not name github.com.
     */
    static final String CONTENT_SECURITY_POLICY = String.join("; ",
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'");

    static final Map<String, String> HEADERS = Map.of(
            "Content-Security-Policy", CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options", "nosniff",
            // Same-site pages see where a visitor came from; GitHub and other forges are not told
            // which app or deployment a commit link was followed from.
            "Referrer-Policy", "same-origin");

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (response instanceof HttpServletResponse http) {
            HEADERS.forEach(http::setHeader);
        }
        chain.doFilter(request, response);
    }
}
