package dev.meridian.cluster.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals what Meridian puts into the cluster with {@code MERIDIAN_CLUSTER_SECRET} (CONTRACT §9):
 * an HMAC-SHA256 over a context naming where the value lives (a revision's number, a node's
 * name, a cache map and key) and the value itself, so a value is neither forged nor moved to
 * another key by a process without the secret. Hazelcast's open-source edition authenticates no
 * member; this is Meridian's own check on everything it reads back.
 *
 * <p>Strings are sealed as {@code s1.<tag>.<payload>} (tag: base64url without padding); bytes
 * get the 32-byte tag appended, so readers that decode from the front (a purge's scan where the
 * entry lives) see the value unchanged. Without a secret both are identities: a single node, or
 * a cluster whose operator chose not to set one (warned at start).
 *
 * <p>Thread-safe: one {@link Mac} per thread (a {@code Mac} is not thread-safe, and looking one
 * up per call costs more than the HMAC of a small payload).
 */
final class ClusterSeal {

    static final int TAG_BYTES = 32;
    private static final String PREFIX = "s1.";
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();
    private static final int TAG_CHARS = 43; // 32 bytes in base64url without padding

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;

    private ClusterSeal(SecretKeySpec key) {
        this.key = key;
        this.macs = key == null ? null : ThreadLocal.withInitial(this::newMac);
    }

    /** A seal keyed by {@code secret}; null or blank: no sealing. */
    static ClusterSeal of(String secret) {
        if (secret == null || secret.isBlank()) {
            return new ClusterSeal(null);
        }
        return new ClusterSeal(new SecretKeySpec(secret.strip().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    }

    static ClusterSeal none() {
        return new ClusterSeal(null);
    }

    boolean enabled() {
        return key != null;
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    private byte[] tag(String context, byte[] value, int length) {
        Mac mac = macs.get();
        mac.update(context.getBytes(StandardCharsets.UTF_8));
        mac.update((byte) 0);
        mac.update(value, 0, length);
        return mac.doFinal();
    }

    /** {@code payload} sealed for {@code context}. */
    String seal(String context, String payload) {
        if (key == null) {
            return payload;
        }
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        return PREFIX + B64.encodeToString(tag(context, bytes, bytes.length)) + "." + payload;
    }

    /** The payload of a value sealed for {@code context}. @throws Forged when it was not sealed with this secret for it */
    String open(String context, String stored) {
        if (key == null) {
            return stored;
        }
        if (stored == null || stored.length() < PREFIX.length() + TAG_CHARS + 1 || !stored.startsWith(PREFIX)
            || stored.charAt(PREFIX.length() + TAG_CHARS) != '.') {
            throw new Forged("not sealed with the cluster secret (" + context + ")");
        }
        String payload = stored.substring(PREFIX.length() + TAG_CHARS + 1);
        byte[] given;
        try {
            given = B64D.decode(stored.substring(PREFIX.length(), PREFIX.length() + TAG_CHARS));
        } catch (IllegalArgumentException e) {
            throw new Forged("a malformed seal (" + context + ")");
        }
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, tag(context, bytes, bytes.length))) {
            throw new Forged("a seal made with another secret or for another place (" + context + ")");
        }
        return payload;
    }

    /** {@code value} with its tag for {@code context} appended (the value itself when there is no secret). */
    byte[] seal(String context, byte[] value) {
        if (key == null) {
            return value;
        }
        byte[] out = Arrays.copyOf(value, value.length + TAG_BYTES);
        System.arraycopy(tag(context, value, value.length), 0, out, value.length, TAG_BYTES);
        return out;
    }

    /** The value of bytes sealed for {@code context}, without its tag. @throws Forged when the tag does not match */
    byte[] open(String context, byte[] stored) {
        if (key == null) {
            return stored;
        }
        if (stored == null || stored.length < TAG_BYTES) {
            throw new Forged("not sealed with the cluster secret (" + context + ")");
        }
        int length = stored.length - TAG_BYTES;
        byte[] expected = tag(context, stored, length);
        if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(stored, length, stored.length))) {
            throw new Forged("a seal made with another secret or for another place (" + context + ")");
        }
        return Arrays.copyOf(stored, length);
    }

    /**
     * What a member shows to prove it holds the secret: a tag over the cluster's and its own
     * name, published as a member attribute before it joins. Without a secret: null.
     */
    String proof(String clusterName, String nodeName) {
        if (key == null) {
            return null;
        }
        byte[] bytes = ("member\0" + clusterName + "\0" + nodeName).getBytes(StandardCharsets.UTF_8);
        return B64.encodeToString(tag("proof", bytes, bytes.length));
    }

    /** Whether {@code proof} is what a member named {@code nodeName} holding this secret shows. */
    boolean verifies(String clusterName, String nodeName, String proof) {
        if (key == null || proof == null || nodeName == null) {
            return false;
        }
        return MessageDigest.isEqual(proof.getBytes(StandardCharsets.US_ASCII),
            proof(clusterName, nodeName).getBytes(StandardCharsets.US_ASCII));
    }

    /** A value in the cluster that this node's secret did not seal. */
    static final class Forged extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Forged(String message) {
            super(message, null, false, false);
        }
    }
}
