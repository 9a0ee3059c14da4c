package com.vangoframework.rhone.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The stand-in programs under src/test/resources/fake-bin, copied out as executables. */
public final class FakeBin {

    private FakeBin() {
    }

    public static Path install(String name, Path dir) throws IOException {
        Path target = Files.createDirectories(dir).resolve(name);
        try (InputStream in = FakeBin.class.getResourceAsStream("/fake-bin/" + name)) {
            if (in == null) {
                throw new IOException("no fake program " + name);
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        if (!target.toFile().setExecutable(true)) {
            throw new IOException("cannot make " + target + " executable");
        }
        return target;
    }
}
