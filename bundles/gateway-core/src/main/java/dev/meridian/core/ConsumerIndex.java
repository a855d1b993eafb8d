package dev.meridian.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.meridian.model.ConsumerDefinition;
import dev.meridian.model.ConsumerKey;
import dev.meridian.policy.api.ApiConsumer;
import dev.meridian.policy.api.Consumers;

/**
 * The consumers of one revision, indexed for the policies' look-ups (CONTRACT §8): built once
 * when the revision is compiled, immutable after, shared by every request thread.
 *
 * <p>{@link #byKey} hashes the presented key (SHA-256, as stored) and looks the 32 bytes up in a
 * hash map; then it checks the key's {@code expiresAt} against the clock, on every call, so a key
 * stops working at its expiry without an apply. Nothing is locked or allocated beyond the digest
 * and its wrapper.
 *
 * <p><b>Why no constant-time comparison.</b> What a request's timing can depend on is the
 * SHA-256 of the key it presents (its bucket, and how many leading bytes equal a stored digest in
 * that bucket), never the stored key itself. Learning bits of a stored digest that way would need
 * presented keys chosen by their digests, and even a whole digest does not give back a key
 * (SHA-256 is preimage resistant; keys are long random strings). Timing-safe comparison matters
 * when the secret itself is compared byte by byte, which never happens here.
 *
 * <p>A key hash held by two consumers (the manager refuses such a state, so it can only come
 * from a damaged revision) authenticates neither: a key never identifies the wrong consumer.
 */
public final class ConsumerIndex implements Consumers {

    /** SHA-256 without state, cloned per look-up: no shared mutable digest, one small allocation. */
    private static final MessageDigest SHA256 = sha256();

    private final Map<Digest, Entry> byKey;
    private final Map<String, ApiConsumer> byId;
    private final Clock clock;
    private final Map<String, ConsumerDefinition> source;

    /** One key: its consumer as policies see it (with the key's id) and when it stops working. */
    private record Entry(ApiConsumer consumer, long expiresAtMillis) {
    }

    /**
     * 32 digest bytes with the hash code taken from them (they are uniformly distributed already:
     * no need to mix, and {@link Arrays#hashCode(byte[])} would walk all 32).
     */
    private static final class Digest {
        private final byte[] bytes;
        private final int hash;

        Digest(byte[] bytes) {
            this.bytes = bytes;
            this.hash = (bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8 | (bytes[3] & 0xff);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Digest d && Arrays.equals(bytes, d.bytes);
        }
    }

    private ConsumerIndex(Map<String, ConsumerDefinition> source, Clock clock) {
        this.clock = clock;
        this.source = source;
        Collection<ConsumerDefinition> consumers = source.values();
        Map<Digest, Entry> keys = new HashMap<>(Math.max(16, consumers.size() * 2));
        Set<Digest> ambiguous = new HashSet<>();
        Map<String, ApiConsumer> ids = new HashMap<>(Math.max(16, consumers.size() * 2));
        for (ConsumerDefinition c : consumers) {
            ids.put(c.id(), new ApiConsumer(c.id(), c.groups(), ""));
            for (ConsumerKey k : c.keys()) {
                Digest d = new Digest(k.digest());
                Entry e = new Entry(new ApiConsumer(c.id(), c.groups(), k.id()),
                    k.expiresAt().map(at -> at.toEpochMilli()).orElse(Long.MAX_VALUE));
                if (keys.putIfAbsent(d, e) != null) {
                    ambiguous.add(d);
                }
            }
        }
        ambiguous.forEach(keys::remove);
        this.byKey = keys;
        this.byId = ids;
    }

    /**
     * The index of {@code consumers} by id (a state's consumers; each key hashed:
     * {@link ConsumerKey#isHashed()}).
     *
     * @param clock what {@code expiresAt} is checked against, on every look-up
     * @throws IllegalStateException when a key is not hashed
     */
    public static ConsumerIndex of(Map<String, ConsumerDefinition> consumers, Clock clock) {
        return new ConsumerIndex(consumers, clock);
    }

    /**
     * Whether this index holds exactly {@code consumers}, so that a compile of a revision that
     * changed only APIs keeps it instead of building it again (100k consumers: tens of ms).
     */
    public boolean holds(Map<String, ConsumerDefinition> consumers) {
        return source == consumers || source.equals(consumers);
    }

    @Override
    public Optional<ApiConsumer> byKey(String presentedKey) {
        if (presentedKey == null || presentedKey.isEmpty() || byKey.isEmpty()) {
            return Optional.empty();
        }
        Entry e = byKey.get(new Digest(digest(presentedKey)));
        if (e == null || clock.millis() >= e.expiresAtMillis()) {
            return Optional.empty();
        }
        return Optional.of(e.consumer());
    }

    @Override
    public Optional<ApiConsumer> byId(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    @Override
    public int size() {
        return byId.size();
    }

    /** SHA-256 of the UTF-8 bytes of {@code key}, with a clone of a digest that never holds state. */
    static byte[] digest(String key) {
        try {
            MessageDigest md = (MessageDigest) SHA256.clone();
            return md.digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the platform's SHA-256 cannot be cloned", e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
