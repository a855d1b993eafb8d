package dev.meridian.console.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The console's files, read once from the bundle and kept immutable: the only things
 * {@code /console/*} can ever answer. A request names a file by its path below {@code console/};
 * {@link #resolve} decides from the raw (still percent-encoded) request path which file answers,
 * so no decoding, dot-segment or separator trick can reach anything else.
 */
final class ConsoleFiles {

    /** The page every app route answers with (routes are hash-based; deep links still land here). */
    static final String INDEX = "index.html";

    /** One file: its bytes, its media type and a strong ETag from the content hash. */
    record File(String path, byte[] bytes, String contentType, String etag) {
    }

    private final Map<String, File> files;

    private ConsoleFiles(Map<String, File> files) {
        this.files = files;
    }

    /** The set of files keyed by their path below {@code console/} ({@code "vendor/x.js"}). */
    static ConsoleFiles of(Map<String, byte[]> contents) {
        Map<String, File> files = new TreeMap<>();
        contents.forEach((path, bytes) -> files.put(path, new File(path, bytes.clone(), contentType(path), etag(bytes))));
        return new ConsoleFiles(Map.copyOf(files));
    }

    int size() {
        return files.size();
    }

    Optional<File> get(String path) {
        return Optional.ofNullable(files.get(path));
    }

    /**
     * The file that answers {@code rest}, the raw request path after {@code /console}: empty
     * (404) for anything that is not plainly one of the bundle's files, namely a percent-escape
     * (so no encoded slash, dot or NUL), a backslash, a colon (no scheme or drive letter), an empty, {@code .} or {@code ..} segment,
     * a {@code ;} path parameter or a control character. {@code /} answers the index; a missing
     * path whose last segment has no dot is an app route and answers the index too, while a
     * missing file ({@code x.js}) is a 404, so a typo never comes back as HTML.
     */
    Optional<File> resolve(String rest) {
        if (rest == null || !rest.startsWith("/")) {
            return Optional.empty();
        }
        String path = rest.substring(1);
        if (path.isEmpty()) {
            return get(INDEX);
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' || c == '\\' || c == ';' || c == ':' || c < 0x20 || c == 0x7f) {
                return Optional.empty();
            }
        }
        String[] segments = path.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            String s = segments[i];
            boolean trailing = i == segments.length - 1 && s.isEmpty() && i > 0;
            if (!trailing && (s.isEmpty() || s.equals(".") || s.equals(".."))) {
                return Optional.empty();
            }
        }
        Optional<File> file = get(path);
        if (file.isPresent()) {
            return file;
        }
        String last = segments[segments.length - 1];
        return last.contains(".") ? Optional.empty() : get(INDEX);
    }

    static String contentType(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        return switch (ext) {
            case "html" -> "text/html; charset=utf-8";
            case "js", "mjs" -> "text/javascript; charset=utf-8";
            case "css" -> "text/css; charset=utf-8";
            case "json" -> "application/json";
            case "svg" -> "image/svg+xml";
            case "png" -> "image/png";
            case "ico" -> "image/x-icon";
            case "woff2" -> "font/woff2";
            case "md", "txt" -> "text/plain; charset=utf-8";
            // the licence notices kept beside the vendored files
            case "" -> name.equals("LICENSE") ? "text/plain; charset=utf-8" : "application/octet-stream";
            default -> "application/octet-stream";
        };
    }

    static String etag(byte[] bytes) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + HexFormat.of().formatHex(hash, 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
