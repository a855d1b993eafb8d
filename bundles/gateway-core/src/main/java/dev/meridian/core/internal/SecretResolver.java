package dev.meridian.core.internal;

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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import dev.meridian.core.Redaction;
import dev.meridian.core.Settings;
import dev.meridian.policy.api.PolicyConfigException;

/**
 * Resolves {@code ${secret:NAME}} references in a policy's configuration (CONTRACT §9 "Secrets")
 * against the files of {@code MERIDIAN_SECRETS_DIR}: the value of {@code NAME} is the content of
 * the file {@code NAME} there (UTF-8, one trailing newline stripped). A reference may stand alone
 * or inside a longer string ({@code "Bearer ${secret:upstream-token}"}); {@code $${secret:} is a
 * literal {@code ${secret:} (the escape), any other {@code $} is itself.
 *
 * <p>Refused, each naming the reference and never a value: a name outside
 * {@code [A-Za-z0-9._-]{1,128}} or {@code .}/{@code ..}, an unterminated reference, no
 * {@code MERIDIAN_SECRETS_DIR}, a missing or unreadable file, one that is not a regular file, a
 * symlink whose target is outside the directory, a file over the size cap
 * ({@code MERIDIAN_SECRETS_MAX_BYTES} [64k]) or not UTF-8.
 *
 * <p>Files are read on each call (an engine compile: off the request path), so a changed file
 * takes effect on the next compile. Immutable; any thread.
 */
final class SecretResolver {

    static final String OPEN = "${secret:";
    /** {@code $${secret:} stands for a literal {@code ${secret:}. */
    static final String ESCAPED = "$" + OPEN;
    static final int DEFAULT_MAX_BYTES = 64 * 1024;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    /** Without a directory: every reference is refused (and a configuration without one is untouched). */
    static final SecretResolver NONE = new SecretResolver(Optional.empty(), DEFAULT_MAX_BYTES);

    private final Optional<Path> dir;
    private final int maxBytes;

    SecretResolver(Optional<Path> dir, int maxBytes) {
        this.dir = dir.map(d -> d.toAbsolutePath().normalize());
        this.maxBytes = maxBytes;
    }

    /** {@code MERIDIAN_SECRETS_DIR} [unset] and {@code MERIDIAN_SECRETS_MAX_BYTES} [64k]. */
    static SecretResolver fromSettings() {
        String d = Settings.string("MERIDIAN_SECRETS_DIR", null);
        long max = Settings.bytes("MERIDIAN_SECRETS_MAX_BYTES", "64k");
        if (max < 1 || max > Integer.MAX_VALUE - 1) {
            throw new IllegalArgumentException("MERIDIAN_SECRETS_MAX_BYTES must be between 1 and 2g, got " + max);
        }
        return new SecretResolver(Optional.ofNullable(d).map(Path::of), (int) max);
    }

    /**
     * A configuration with its references replaced, and the values used (by name) so that a
     * message built from the resolved configuration can be {@linkplain #redact redacted}.
     */
    record Resolved(Map<String, Object> config, Map<String, String> values) {

        /** {@code text} with every non-empty value used replaced by its reference, longest first. */
        String redact(String text) {
            return Redaction.of(values).apply(text);
        }

        List<PolicyConfigException.Problem> redact(List<PolicyConfigException.Problem> problems) {
            if (values.isEmpty()) {
                return problems;
            }
            return problems.stream().map(p -> new PolicyConfigException.Problem(redact(p.path()), redact(p.message()))).toList();
        }
    }

    /**
     * Resolves every string value of {@code config} (at any depth; keys are left as they are).
     * Returns {@code config} itself when no string mentions {@code ${secret:} (the common case
     * allocates nothing but the walk).
     *
     * @throws PolicyConfigException every reference that cannot be resolved, with its path in
     *     {@code config} ({@code request.set.X-Token}) and its name, never a value
     */
    Resolved resolve(Map<String, Object> config) throws PolicyConfigException {
        if (!mentions(config)) {
            return new Resolved(config, Map.of());
        }
        Map<String, String> values = new LinkedHashMap<>();
        List<PolicyConfigException.Problem> problems = new ArrayList<>();
        Object resolved = walk(config, "", values, problems);
        if (!problems.isEmpty()) {
            throw new PolicyConfigException(problems);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) resolved;
        return new Resolved(map, Map.copyOf(values));
    }

    private static boolean mentions(Object value) {
        if (value instanceof String s) {
            return s.contains(OPEN);
        }
        if (value instanceof Map<?, ?> m) {
            for (Object v : m.values()) {
                if (mentions(v)) {
                    return true;
                }
            }
        } else if (value instanceof List<?> l) {
            for (Object v : l) {
                if (mentions(v)) {
                    return true;
                }
            }
        }
        return false;
    }

    private Object walk(Object value, String path, Map<String, String> values, List<PolicyConfigException.Problem> problems) {
        if (value instanceof String s) {
            return s.contains(OPEN) ? resolveString(s, path, values, problems) : s;
        }
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put((String) k, walk(v, path.isEmpty() ? (String) k : path + "." + k, values, problems)));
            return java.util.Collections.unmodifiableMap(out);
        }
        if (value instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (int i = 0; i < l.size(); i++) {
                out.add(walk(l.get(i), path + "[" + i + "]", values, problems));
            }
            return java.util.Collections.unmodifiableList(out);
        }
        return value;
    }

    /** One string: references replaced, escapes unescaped; problems added instead of thrown. */
    private String resolveString(String s, String path, Map<String, String> values, List<PolicyConfigException.Problem> problems) {
        StringBuilder out = new StringBuilder(s.length() + 32);
        int i = 0;
        while (i < s.length()) {
            if (s.startsWith(ESCAPED, i)) {
                out.append(OPEN);
                i += ESCAPED.length();
            } else if (s.startsWith(OPEN, i)) {
                int end = s.indexOf('}', i + OPEN.length());
                if (end < 0) {
                    problems.add(new PolicyConfigException.Problem(path, "unterminated ${secret: reference (a literal "
                        + "${secret: is written $${secret:)"));
                    return s;
                }
                String name = s.substring(i + OPEN.length(), end);
                String value = values.get(name);
                if (value == null) {
                    try {
                        value = read(name);
                        values.put(name, value);
                    } catch (SecretUnavailable e) {
                        problems.add(new PolicyConfigException.Problem(path, e.getMessage()));
                        value = "";
                    }
                }
                out.append(value);
                i = end + 1;
            } else {
                out.append(s.charAt(i++));
            }
        }
        return out.toString();
    }

    /** Why a secret cannot be read: names the secret, never its content. */
    static final class SecretUnavailable extends Exception {
        private static final long serialVersionUID = 1L;

        SecretUnavailable(String message) {
            super(message, null, false, false);
        }
    }

    /** The value of secret {@code name}: its file's content, one trailing newline stripped. */
    String read(String name) throws SecretUnavailable {
        String quoted = "secret '" + abbreviate(name) + "'";
        if (!NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new SecretUnavailable(quoted + ": a secret name is 1-128 of A-Z a-z 0-9 . _ - (not . or ..)");
        }
        if (dir.isEmpty()) {
            throw new SecretUnavailable(quoted + " cannot be resolved: MERIDIAN_SECRETS_DIR is not set on this node");
        }
        Path file = dir.get().resolve(name);
        try {
            Path realDir = dir.get().toRealPath();
            Path real = file.toRealPath();
            if (!real.getParent().equals(realDir)) {
                throw new SecretUnavailable(quoted + " is a link to a file outside MERIDIAN_SECRETS_DIR: refused");
            }
            if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
                throw new SecretUnavailable(quoted + " is not a regular file in MERIDIAN_SECRETS_DIR");
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(real)) {
                bytes = in.readNBytes(maxBytes + 1); // never more than the cap into memory, whatever the size says
            }
            if (bytes.length > maxBytes) {
                throw new SecretUnavailable(quoted + " is larger than " + maxBytes + " bytes (MERIDIAN_SECRETS_MAX_BYTES)");
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
            throw new SecretUnavailable(quoted + " not found: no file '" + name + "' in MERIDIAN_SECRETS_DIR");
        } catch (CharacterCodingException e) {
            throw new SecretUnavailable(quoted + " is not valid UTF-8");
        } catch (IOException | SecurityException e) {
            // the exception's class only: its message is a path or an OS error, never the content
            throw new SecretUnavailable(quoted + " cannot be read (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static String abbreviate(String name) {
        return name.length() <= 140 ? name : name.substring(0, 140) + "...";
    }
}
