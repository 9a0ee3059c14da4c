package com.vangoframework.rhone.apps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.vangoframework.rhone.cli.RhoneCommand.UsageError;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The argument and stdin rules of set-env, without a process; CliTest runs the command itself. */
class SetEnvCommandTest {

    @Test
    void words_areOneBareNameOrNameValuePairs_neverBoth() throws Exception {
        assertThat(SetEnvCommand.Words.of(List.of("API_KEY")).bare()).containsExactly("API_KEY");
        assertThat(SetEnvCommand.Words.of(List.of("A=x=y", "B=")).pairs()).containsEntry("A", "x=y").containsEntry("B", "");
        assertThatThrownBy(() -> SetEnvCommand.Words.of(List.of("A", "B=value")))
                .isInstanceOf(UsageError.class).hasMessageContaining("not both");
        assertThatThrownBy(() -> SetEnvCommand.Words.of(List.of("A", "B")))
                .isInstanceOf(UsageError.class).hasMessageContaining("one NAME");
    }

    @Test
    void malformedWords_areNamedByPosition_neverByTheirValue() {
        assertThatThrownBy(() -> SetEnvCommand.Words.of(List.of("GOOD=1", "=hunter2-value")))
                .isInstanceOf(UsageError.class).hasMessageContaining("variable 2").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> SetEnvCommand.Words.of(List.of("hunter2-value")))
                .isInstanceOf(UsageError.class).hasMessageContaining("variable 1").hasMessageNotContaining("hunter2");
        // The text before '=' is the name the user typed, and is named.
        assertThatThrownBy(() -> SetEnvCommand.Words.of(List.of("1BAD=hunter2-value")))
                .isInstanceOf(UsageError.class).hasMessageContaining("1BAD").hasMessageNotContaining("hunter2");
    }

    @Test
    void secretInput_dropsExactlyOneTrailingLineBreak_andKeepsTheRest() throws Exception {
        assertThat(read("value\n")).isEqualTo("value");
        assertThat(read("value\r\n")).isEqualTo("value");
        assertThat(read("value\n\n")).isEqualTo("value\n");
        assertThat(read("a\nb")).isEqualTo("a\nb");
        assertThat(read("")).isEmpty();
    }

    @Test
    void secretInput_over64KiB_orNotUtf8_isRefused_withoutTheText() {
        assertThatThrownBy(() -> read("x".repeat(SecretInput.MAX_BYTES + 1)))
                .isInstanceOf(UsageError.class).hasMessage("the value on stdin is longer than 65536 bytes (64 KiB)");
        assertThat(catchMessage(new byte[] {'s', 'e', 'c', (byte) 0xff}))
                .isEqualTo("the value on stdin is not UTF-8 text");
    }

    private static String read(String text) throws UsageError {
        return SecretInput.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "the value on stdin");
    }

    private static String catchMessage(byte[] bytes) {
        try {
            SecretInput.read(new ByteArrayInputStream(bytes), "the value on stdin");
            return "no error";
        } catch (UsageError e) {
            return e.getMessage();
        }
    }
}
