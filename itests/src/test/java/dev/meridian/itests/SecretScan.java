package dev.meridian.itests;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Looks for secret values in every regular file under a node's directory (logs, revision files,
 * the access log, Karaf's data, binaries included), byte for byte. Not thread-safe: one per test.
 */
final class SecretScan {

    private final List<byte[]> needles;
    private final List<String> hits = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();
    private long bytes;

    private SecretScan(List<byte[]> needles) {
        this.needles = needles;
    }

    static SecretScan of(List<String> values) {
        return new SecretScan(values.stream().map(v -> v.getBytes(StandardCharsets.UTF_8)).toList());
    }

    /** Scans every regular file under {@code home}. */
    SecretScan walk(Path home) throws IOException {
        try (Stream<Path> walk = Files.walk(home)) {
            for (Path f : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                byte[] content = read(f);
                files.add(f);
                bytes += content.length;
                for (byte[] needle : needles) {
                    if (indexOf(content, needle) >= 0) {
                        hits.add(f + " holds a secret value");
                    }
                }
            }
        }
        return this;
    }

    /** Each file that held a value (once per value). */
    List<String> hits() {
        return List.copyOf(hits);
    }

    /** The files scanned, in walk order. */
    List<Path> scanned() {
        return List.copyOf(files);
    }

    int files() {
        return files.size();
    }

    long bytes() {
        return bytes;
    }

    /**
     * Creates {@code root/<name>} for each name, or empties it: a secrets directory per node,
     * without the files of an earlier run (they would hide a missing secret).
     */
    static void freshDirectories(Path root, String... names) throws IOException {
        for (String name : names) {
            Path dir = Files.createDirectories(root.resolve(name));
            try (Stream<Path> left = Files.list(dir)) {
                for (Path f : (Iterable<Path>) left::iterator) {
                    Files.delete(f);
                }
            }
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
