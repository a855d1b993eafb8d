package dev.meridian.core.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.meridian.core.Redaction;
import dev.meridian.core.SecretFiles;
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
    static final int DEFAULT_MAX_BYTES = SecretFiles.DEFAULT_MAX_BYTES;

    /** Without a directory: every reference is refused (and a configuration without one is untouched). */
    static final SecretResolver NONE = new SecretResolver(Optional.empty(), DEFAULT_MAX_BYTES);

    private final SecretFiles files;

    SecretResolver(Optional<Path> dir, int maxBytes) {
        this(new SecretFiles(dir, maxBytes));
    }

    private SecretResolver(SecretFiles files) {
        this.files = files;
    }

    /** {@code MERIDIAN_SECRETS_DIR} [unset] and {@code MERIDIAN_SECRETS_MAX_BYTES} [64k]. */
    static SecretResolver fromSettings() {
        return new SecretResolver(SecretFiles.fromSettings());
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

    /** The value of secret {@code name} ({@link SecretFiles#read}). */
    String read(String name) throws SecretUnavailable {
        try {
            return files.read(name);
        } catch (SecretFiles.Unavailable e) {
            throw new SecretUnavailable(e.getMessage());
        }
    }
}
