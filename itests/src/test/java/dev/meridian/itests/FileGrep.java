package dev.meridian.itests;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** Byte searches through whole directories, for values that must never be written to disk (secrets, passwords). */
final class FileGrep {

    private FileGrep() {
    }

    /**
     * Hands every regular file under {@code dir} with its bytes to {@code each}, one at a time (a
     * node's directory holds ~100 MiB of jars); a file that went away while walking is empty.
     */
    static void scan(Path dir, Consumer<Found> each) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                each.accept(new Found(f, read(f)));
            }
        }
    }

    /** The files under {@code dir} that hold {@code needle}. */
    static List<Path> holding(Path dir, byte[] needle) throws IOException {
        List<Path> out = new ArrayList<>();
        scan(dir, f -> {
            if (f.holds(needle)) {
                out.add(f.file());
            }
        });
        return out;
    }

    /** A file and its content. */
    record Found(Path file, byte[] content) {
        boolean holds(byte[] needle) {
            return indexOf(content, needle) >= 0;
        }
    }

    static byte[] read(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            return in.readAllBytes();
        } catch (AccessDeniedException | NoSuchFileException gone) {
            return new byte[0]; // a lock file or a rotated log that went away while walking
        }
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
