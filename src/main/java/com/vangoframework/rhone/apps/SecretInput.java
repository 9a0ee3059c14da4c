package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand.UsageError;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A secret read whole from stdin or a file rather than the command line, where {@code ps} and
 * shell history would show it: UTF-8 text of at most {@value #MAX_BYTES} bytes, with the one line
 * break that {@code echo} or an editor adds at the end removed. Errors name where the text came
 * from, never the text.
 */
final class SecretInput {

    /** Fly.io's macaroon tokens and PEM keys run to a few KiB; nothing a build takes is near this. */
    static final int MAX_BYTES = 64 * 1024;

    private SecretInput() {
    }

    /** The text of {@code in}; {@code what} names it in errors ("the password on stdin"). May be empty. */
    static String read(InputStream in, String what) throws UsageError {
        byte[] bytes;
        try {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw new UsageError(what + " could not be read: " + e.getMessage());
        }
        if (bytes.length > MAX_BYTES) {
            throw new UsageError(what + " is longer than " + MAX_BYTES + " bytes (64 KiB)");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new UsageError(what + " is not UTF-8 text");
        }
        if (text.endsWith("\r\n")) {
            return text.substring(0, text.length() - 2);
        }
        return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    }

    /** The text of the file at {@code path}, under the same rules. */
    static String readFile(String path) throws UsageError {
        String what = "--from-file " + path;
        try (InputStream in = Files.newInputStream(Path.of(path))) {
            return read(in, what);
        } catch (NoSuchFileException e) {
            throw new UsageError(what + ": no such file");
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw new UsageError(what + " could not be read: " + e.getMessage());
        }
    }
}
