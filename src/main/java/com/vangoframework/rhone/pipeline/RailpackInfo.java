package com.vangoframework.rhone.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What {@code railpack prepare --info-out} writes: the providers it detected, its log (entries
 * with capitalised keys, as Go's encoder writes an untagged struct) and whether it succeeded. A
 * failed result carries only {@code logs} and {@code success: false}.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RailpackInfo(
        @JsonProperty("railpackVersion") String railpackVersion,
        @JsonProperty("detectedProviders") List<String> detectedProviders,
        @JsonProperty("logs") List<Entry> logs,
        @JsonProperty("success") boolean success) {

    public RailpackInfo {
        detectedProviders = detectedProviders == null ? List.of() : List.copyOf(detectedProviders);
        logs = logs == null ? List.of() : List.copyOf(logs);
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Entry(@JsonProperty("Level") String level, @JsonProperty("Msg") String msg) {
    }

    public static RailpackInfo read(Path file, ObjectMapper json) throws IOException {
        return json.readValue(file.toFile(), RailpackInfo.class);
    }

    /** Railpack's own error text, verbatim, one entry per line. */
    public String errors() {
        return logs.stream().filter(e -> "error".equalsIgnoreCase(e.level()))
                .map(Entry::msg).collect(Collectors.joining("\n"));
    }
}
