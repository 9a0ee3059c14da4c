package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Where the env var encryption key comes from: RHONE_SECRET_KEY, or (embedded mode) a generated file. */
public final class SecretKeys {

    private static final Logger LOG = LoggerFactory.getLogger(SecretKeys.class);
    static final String KEY_FILE = "secret.key";

    private SecretKeys() {
    }

    public static SecretBox load(String configured, Path dataDir, boolean embedded) {
        if (!configured.isEmpty()) {
            return new SecretBox(decode(configured));
        }
        if (!embedded) {
            throw new IllegalStateException("RHONE_SECRET_KEY is required when DATABASE_URL is set: "
                    + "generate one with `openssl rand -base64 32` and keep it with your database backups");
        }
        return new SecretBox(loadOrGenerate(dataDir.resolve(KEY_FILE)));
    }

    /** The key of the database a command opened: configured, or the embedded database's file. */
    public static SecretBox forCommand(RhoneCommand.Context context) {
        return load(context.config().getSecretKey(), Path.of(context.config().getDataDir()), context.embedded());
    }

    static byte[] decode(String value) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(value.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("RHONE_SECRET_KEY must be base64 (e.g. `openssl rand -base64 32`)");
        }
        if (key.length != 32) {
            throw new IllegalStateException("RHONE_SECRET_KEY must decode to 32 bytes, not " + key.length);
        }
        return key;
    }

    private static byte[] loadOrGenerate(Path file) {
        try {
            if (Files.exists(file)) {
                return decode(Files.readString(file, StandardCharsets.US_ASCII));
            }
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), KEY_FILE, ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, Base64.getEncoder().encodeToString(key) + "\n", StandardCharsets.US_ASCII);
            try {
                // No REPLACE_EXISTING: if another process won the race, its key is the key.
                Files.move(tmp, file);
            } catch (FileAlreadyExistsException raced) {
                Files.delete(tmp);
                return decode(Files.readString(file, StandardCharsets.US_ASCII));
            }
            LOG.warn("Generated an env var encryption key in {}: env vars are only as safe as that file. "
                    + "Set RHONE_SECRET_KEY (its content) to manage the key yourself.", file);
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException("could not read or create the secret key " + file, e);
        }
    }
}
