package dev.meridian.http.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.meridian.tls.CertifiedKey;

/**
 * Reads {@code MERIDIAN_TLS_DIR}: each {@code <name>.crt} (the chain, leaf first) with its
 * {@code <name>.key}. Other files are ignored. {@link #fingerprint()} is cheap (names, sizes and
 * modification times, no content) so the directory can be polled every second and read only
 * when it changed.
 */
final class TlsDirectory {

    private final Path dir;

    TlsDirectory(Path dir) {
        this.dir = dir;
    }

    Path path() {
        return dir;
    }

    /** Names, sizes and modification times of the {@code .crt} and {@code .key} files; "" for a missing directory. */
    String fingerprint() throws IOException {
        if (!Files.isDirectory(dir)) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        TreeMap<String, BasicFileAttributes> files = new TreeMap<>();
        try (DirectoryStream<Path> list = Files.newDirectoryStream(dir, "*.{crt,key}")) {
            for (Path p : list) {
                try {
                    files.put(p.getFileName().toString(), Files.readAttributes(p, BasicFileAttributes.class));
                } catch (IOException gone) {
                    // removed between the listing and the read: the next poll sees the directory as it is then
                }
            }
        }
        files.forEach((name, a) -> out.append(name).append(' ').append(a.size()).append(' ')
            .append(a.lastModifiedTime()).append('\n'));
        return out.toString();
    }

    /** Every pair name found, loaded or refused with the reason. */
    Map<String, CertificateSet.Loaded> scan() throws IOException {
        Map<String, CertificateSet.Loaded> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        TreeSet<String> names = new TreeSet<>();
        try (DirectoryStream<Path> list = Files.newDirectoryStream(dir, "*.{crt,key}")) {
            for (Path p : list) {
                String file = p.getFileName().toString();
                names.add(file.substring(0, file.length() - 4));
            }
        }
        for (String name : names) {
            out.put(name, load(name));
        }
        return out;
    }

    private CertificateSet.Loaded load(String name) {
        Path crt = dir.resolve(name + ".crt");
        Path key = dir.resolve(name + ".key");
        if (!Files.exists(crt)) {
            return CertificateSet.Loaded.refused(name + ".crt is missing");
        }
        if (!Files.exists(key)) {
            return CertificateSet.Loaded.refused(name + ".key is missing");
        }
        try {
            return CertificateSet.Loaded.of(CertifiedKey.of(Files.readString(crt, StandardCharsets.US_ASCII),
                Files.readString(key, StandardCharsets.US_ASCII)));
        } catch (IOException | IllegalArgumentException e) {
            return CertificateSet.Loaded.refused(e.getMessage());
        }
    }
}
