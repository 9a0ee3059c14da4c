package com.vangoframework.rhone.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * The page templates hold nothing that {@link SecurityHeadersFilter}'s policy would block in the
 * browser ({@code script-src 'self'; style-src 'self'}): every branch of every template, also the
 * ones no test renders.
 */
class TemplatesTest {

    static final Map<String, Pattern> INLINE = Map.of(
            "an inline script", Pattern.compile("<script(?![^>]*\\ssrc=)[^>]*>", Pattern.CASE_INSENSITIVE),
            "an event handler attribute", Pattern.compile("<[^>]*\\son[a-z]+\\s*=", Pattern.CASE_INSENSITIVE),
            "a style attribute", Pattern.compile("<[^>]*\\sstyle\\s*=", Pattern.CASE_INSENSITIVE),
            "an inline style sheet", Pattern.compile("<style[\\s>]", Pattern.CASE_INSENSITIVE),
            "a javascript: URL", Pattern.compile("javascript:", Pattern.CASE_INSENSITIVE));

    @Test
    void noTemplate_hasAnInlineScript_handler_style_orJavascriptUrl() throws Exception {
        List<Path> templates;
        try (Stream<Path> files = Files.list(Path.of("src/main/resources/templates"))) {
            templates = files.filter(f -> f.toString().endsWith(".ftlh")).sorted().toList();
        }
        assertThat(templates).extracting(f -> f.getFileName().toString()).contains("layout.ftlh", "login_link.ftlh");
        SoftAssertions softly = new SoftAssertions();
        for (Path template : templates) {
            String text = Files.readString(template);
            INLINE.forEach((name, pattern) -> softly.assertThat(pattern.matcher(text).find())
                    .as(template.getFileName() + " has " + name).isFalse());
        }
        softly.assertAll();
    }

    @Test
    void thePatterns_findWhatTheyAreFor() {
        String page = "<script>x()</script><a onclick=\"x()\" style=\"color:red\" href=\"javascript:x()\"><style>";
        INLINE.forEach((name, pattern) -> assertThat(pattern.matcher(page).find()).as(name).isTrue());
        String clean = "<script src=\"/assets/rhone.js\" defer></script><a class=\"button\" href=\"/login\">on=</a>";
        INLINE.forEach((name, pattern) -> assertThat(pattern.matcher(clean).find()).as(name).isFalse());
    }
}
