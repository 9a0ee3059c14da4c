package com.vangoframework.rhone.web;

import io.dropwizard.views.common.View;
import java.util.HashMap;
import java.util.Map;

/**
 * A server-rendered page: a Freemarker template under {@code /templates} (auto-escaped HTML,
 * {@code .ftlh}) and its model. Every page knows its viewer (or none) for the header and the
 * CSRF token of its forms.
 */
public final class Page extends View {

    private final Map<String, Object> model = new HashMap<>();

    public Page(String template, String title, Viewer viewer) {
        // Read and written as UTF-8 whatever the host's locale: without it, under a POSIX locale, a
        // "·" from Java code reached the browser as a lone 0xB7 byte.
        super("/templates/" + template + ".ftlh", java.nio.charset.StandardCharsets.UTF_8);
        model.put("title", title);
        if (viewer != null) {
            model.put("viewer", viewer);
        }
    }

    public Page with(String key, Object value) {
        if (value != null) {
            model.put(key, value);
        }
        return this;
    }

    public Map<String, Object> getM() {
        return model;
    }
}
