package dev.meridian.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The secrets of {@code MERIDIAN_SECRETS_DIR} (CONTRACT §9), read by name: the one place that
 * decides what a secret file may be — a plain name, a regular file inside the directory (a link
 * out of it is refused), at most {@code MERIDIAN_SECRETS_MAX_BYTES}, UTF-8, one trailing newline
 * stripped. The engine resolves {@code ${secret:NAME}} in policies and upstreams with it on every
 * compile; the manager hashes consumer keys given as references with it at apply.
 */
public final class SecretFiles {

    public static final int DEFAULT_MAX_BYTES = 64 * 1024;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    private final Optional<Path> dir;
    private final int maxBytes;

    public SecretFiles(Optional<Path> dir, int maxBytes) {
        this.dir = dir.map(d -> d.toAbsolutePath().normalize());
        this.maxBytes = maxBytes;
    }

    /** {@code MERIDIAN_SECRETS_DIR} [unset] and {@code MERIDIAN_SECRETS_MAX_BYTES} [64k]. */
    public static SecretFiles fromSettings() {
        String d = Settings.string("MERIDIAN_SECRETS_DIR", null);
        long max = Settings.bytes("MERIDIAN_SECRETS_MAX_BYTES", "64k");
        if (max < 1 || max > Integer.MAX_VALUE - 1) {
            throw new IllegalArgumentException("MERIDIAN_SECRETS_MAX_BYTES must be between 1 and 2g, got " + max);
        }
        return new SecretFiles(Optional.ofNullable(d).map(Path::of), (int) max);
    }

    /** Why a secret cannot be read: names the secret, never its content. */
    public static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        public Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    /** The value of secret {@code name}: its file's content, one trailing newline stripped. */
    public String read(String name) throws Unavailable {
        String quoted = "secret '" + abbreviate(name) + "'";
        if (!NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new Unavailable(quoted + ": a secret name is 1-128 of A-Z a-z 0-9 . _ - (not . or ..)");
        }
        if (dir.isEmpty()) {
            throw new Unavailable(quoted + " cannot be resolved: MERIDIAN_SECRETS_DIR is not set on this node");
        }
        Path file = dir.get().resolve(name);
        try {
            Path realDir = dir.get().toRealPath();
            Path real = file.toRealPath();
            if (!real.getParent().equals(realDir)) {
                throw new Unavailable(quoted + " is a link to a file outside MERIDIAN_SECRETS_DIR: refused");
            }
            if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
                throw new Unavailable(quoted + " is not a regular file in MERIDIAN_SECRETS_DIR");
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(real)) {
                bytes = in.readNBytes(maxBytes + 1); // never more than the cap into memory, whatever the size says
            }
            if (bytes.length > maxBytes) {
                throw new Unavailable(quoted + " is larger than " + maxBytes + " bytes (MERIDIAN_SECRETS_MAX_BYTES)");
            }
            String value = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes)).toString();
            if (value.endsWith("\r\n")) {
                return value.substring(0, value.length() - 2);
            }
            return value.endsWith("\n") ? value.substring(0, value.length() - 1) : value;
        } catch (NoSuchFileException e) {
            throw new Unavailable(quoted + " not found: no file '" + name + "' in MERIDIAN_SECRETS_DIR");
        } catch (CharacterCodingException e) {
            throw new Unavailable(quoted + " is not valid UTF-8");
        } catch (IOException | SecurityException e) {
            // the exception's class only: its message is a path or an OS error, never the content
            throw new Unavailable(quoted + " cannot be read (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static String abbreviate(String name) {
        return name.length() <= 140 ? name : name.substring(0, 140) + "...";
    }
}
