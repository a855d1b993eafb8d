package dev.meridian.itests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The {@code MERIDIAN_SECRETS_DIR} of each node of a test, outside the node directories. */
final class SecretDirs {

    private SecretDirs() {
    }

    /**
     * Creates {@code root/<node>} for each node, or empties it: files of an earlier run would hide
     * a missing secret.
     */
    static void fresh(Path root, String... nodes) {
        try {
            for (String node : nodes) {
                Path dir = Files.createDirectories(root.resolve(node));
                try (Stream<Path> left = Files.list(dir)) {
                    for (Path f : (Iterable<Path>) left::iterator) {
                        Files.delete(f);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
