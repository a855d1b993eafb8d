package dev.meridian.manager.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.meridian.core.SecretFiles;
import dev.meridian.manager.AdminException;
import dev.meridian.model.ConsumerDefinition;
import dev.meridian.model.ConsumerKey;
import dev.meridian.model.Problem;

/**
 * The keys of consumers on their way in (CONTRACT §8): a {@code secret} is replaced by its
 * SHA-256 before anything is stored, committed or logged, so the cluster, the revision files and
 * every answer only ever hold the hash. A {@code ${secret:NAME}} is read from this node's
 * {@code MERIDIAN_SECRETS_DIR} (the engine's rules, {@link SecretFiles}) once, at apply, on the node that takes the call: other nodes
 * need not have the file. Then every key of the next state is checked to belong to one consumer
 * only, so a key always names the consumer it was given to.
 *
 * <p>Why here and not in the engine: the engine resolves policy secrets on every compile, on
 * every node, and keeps the reference in the revision; a consumer key's reference is resolved
 * once and only its hash travels, which is what lets a revision carry 100k keys without any
 * node holding the files.
 */
final class ConsumerKeys {

    private static final Pattern REFERENCE = Pattern.compile("\\$\\{secret:([A-Za-z0-9._-]{1,128})}");

    private final SecretFiles files;

    ConsumerKeys(Optional<Path> dir, int maxBytes) {
        this(new SecretFiles(dir, maxBytes));
    }

    private ConsumerKeys(SecretFiles files) {
        this.files = files;
    }

    /** {@code MERIDIAN_SECRETS_DIR} [unset] and {@code MERIDIAN_SECRETS_MAX_BYTES} [64k], read by the engine's rules ({@link SecretFiles}). */
    static ConsumerKeys fromSettings() {
        return new ConsumerKeys(SecretFiles.fromSettings());
    }

    /**
     * {@code consumers} with every key hashed.
     *
     * @param paths the problem path of each consumer ({@code ""} for one alone, {@code [i]} in a set)
     * @throws AdminException 422 naming each secret that cannot be read (never a value)
     */
    List<ConsumerDefinition> hashed(List<ConsumerDefinition> consumers, List<String> paths) throws AdminException {
        List<Problem> problems = new ArrayList<>();
        List<ConsumerDefinition> out = new ArrayList<>();
        for (int i = 0; i < consumers.size(); i++) {
            ConsumerDefinition c = consumers.get(i);
            String at = paths.get(i);
            List<ConsumerKey> keys = new ArrayList<>();
            for (int j = 0; j < c.keys().size(); j++) {
                ConsumerKey k = c.keys().get(j);
                if (k.isHashed()) {
                    keys.add(k);
                    continue;
                }
                String secret = k.secret().orElseThrow();
                Matcher ref = REFERENCE.matcher(secret);
                try {
                    keys.add(k.hashed(ref.matches() ? read(ref.group(1)) : secret));
                } catch (SecretUnavailable e) {
                    problems.add(new Problem((at.isEmpty() ? "" : at + ".") + "keys[" + j + "].secret", e.getMessage()));
                }
            }
            out.add(new ConsumerDefinition(c.id(), c.groups(), keys));
        }
        if (!problems.isEmpty()) {
            throw new AdminException(422, "a consumer key cannot be read", problems);
        }
        return out;
    }

    /**
     * Refuses a state in which two keys have the same hash (the same key given twice, to one
     * consumer or two): a presented key must name one consumer.
     *
     * @throws AdminException 422, one problem per key that repeats an earlier one
     */
    static void checkUnique(Map<String, ConsumerDefinition> consumers) throws AdminException {
        Map<String, String> owner = new HashMap<>(consumers.size() * 2);
        List<Problem> problems = new ArrayList<>();
        for (ConsumerDefinition c : consumers.values()) {
            for (int j = 0; j < c.keys().size(); j++) {
                ConsumerKey k = c.keys().get(j);
                String where = "consumer " + c.id() + " key " + k.id();
                String first = owner.putIfAbsent(k.hash().orElseThrow(), where);
                if (first != null) {
                    problems.add(new Problem(StateDiff.CONSUMER + c.id() + ".keys[" + j + "]",
                        "the same key as " + first + ": a key names one consumer"));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new AdminException(422, "a key is given twice", problems);
        }
    }

    /** Why a secret cannot be read: names the secret, never its content. */
    static final class SecretUnavailable extends Exception {
        private static final long serialVersionUID = 1L;

        SecretUnavailable(String message) {
            super(message, null, false, false);
        }
    }

    private String read(String name) throws SecretUnavailable {
        String value;
        try {
            value = files.read(name);
        } catch (SecretFiles.Unavailable e) {
            throw new SecretUnavailable(e.getMessage());
        }
        if (value.isEmpty()) {
            throw new SecretUnavailable("secret '" + name + "' is empty: a key cannot be empty");
        }
        return value;
    }
}
