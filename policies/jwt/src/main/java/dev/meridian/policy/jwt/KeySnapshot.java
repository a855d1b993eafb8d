package dev.meridian.policy.jwt;

import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;

/**
 * The keys of one source at one fetch, immutable, with their verifiers built once.
 *
 * <p>It is also the document the cluster shares (in {@code jwt.jwks}, as JSON: only bytes cross
 * the cluster, never a class of this bundle): {@code {"fetchedAt": ms, "keys": [public JWKs],
 * "retired": [{"removedAt": ms, "key": JWK}]}}. Keys that vanished from the IdP's JWKS are kept
 * as <em>retired</em> with the time the first fetch missed them, for at most
 * {@link JwtConfig#MAX_KEY_GRACE}, so a policy with a {@code keyGrace} can still verify tokens
 * issued before the removal, on every node, including one that joins later. A node decodes the
 * JSON into its own verifiers; {@link #sameDocument} lets it skip that when nothing changed.
 */
final class KeySnapshot {

    private final byte[] raw;
    private final long fetchedAt;
    private final Map<String, List<Key>> byKid;
    private final List<Key> all;

    private KeySnapshot(byte[] raw, long fetchedAt, List<Key> keys) {
        this.raw = raw;
        this.fetchedAt = fetchedAt;
        this.all = List.copyOf(keys);
        Map<String, List<Key>> index = new HashMap<>();
        for (Key key : keys) {
            if (key.jwk().getKeyID() != null) {
                index.computeIfAbsent(key.jwk().getKeyID(), k -> new ArrayList<>(1)).add(key);
            }
        }
        index.replaceAll((kid, list) -> List.copyOf(list));
        this.byKid = Map.copyOf(index);
    }

    /** When the fetch that made this snapshot was started (the node's clock), ms since the epoch. */
    long fetchedAt() {
        return fetchedAt;
    }

    /** The keys that may have signed a token with {@code kid}; every key for a token without one. */
    List<Key> keys(String kid) {
        return kid == null ? all : byKid.getOrDefault(kid, List.of());
    }

    boolean knows(String kid) {
        return kid == null ? !all.isEmpty() : byKid.containsKey(kid);
    }

    /** How many keys the IdP publishes now (retired ones not counted). */
    int publishedCount() {
        return (int) all.stream().filter(k -> !k.retired()).count();
    }

    /** The shared document. */
    byte[] raw() {
        return raw.clone();
    }

    boolean sameDocument(byte[] other) {
        return Arrays.equals(raw, other);
    }

    /** Reads a shared document; keys nimbus cannot verify with (encryption keys, symmetric keys) are left out. */
    static KeySnapshot decode(byte[] raw) throws ParseException {
        Map<String, Object> doc = JSONObjectUtils.parse(new String(raw, StandardCharsets.UTF_8));
        long fetchedAt = JSONObjectUtils.getLong(doc, "fetchedAt");
        List<Key> keys = new ArrayList<>();
        for (Map<String, Object> jwk : JSONObjectUtils.getJSONObjectArray(doc, "keys")) {
            addKey(keys, JWK.parse(jwk), Long.MAX_VALUE);
        }
        Map<String, Object>[] retired = JSONObjectUtils.getJSONObjectArray(doc, "retired");
        if (retired != null) {
            for (Map<String, Object> entry : retired) {
                addKey(keys, JWK.parse(JSONObjectUtils.getJSONObject(entry, "key")), JSONObjectUtils.getLong(entry, "removedAt"));
            }
        }
        return new KeySnapshot(raw.clone(), fetchedAt, keys);
    }

    /**
     * The snapshot after a fetch: the fetched signing keys (public parts only), and the keys of
     * {@code previous} the fetch no longer has as retired (since this fetch, or since they were
     * first missed), dropped once retired longer than {@code keepRetired} ms.
     *
     * @throws ParseException when the JWKS holds no RSA or EC signing key: adopting it would
     *         reject every token, so the last good keys are kept instead
     */
    static KeySnapshot fromFetch(JWKSet fetched, long fetchedAt, KeySnapshot previous, long keepRetired) throws ParseException {
        List<Map<String, Object>> published = new ArrayList<>();
        List<String> publishedIds = new ArrayList<>();
        for (JWK jwk : fetched.getKeys()) {
            JWK pub = jwk.toPublicJWK();
            if (pub != null && verifier(pub) != null) {
                published.add(pub.toJSONObject());
                publishedIds.add(identity(pub));
            }
        }
        if (published.isEmpty()) {
            throw new ParseException("the JWKS holds no RSA or EC signing key", 0);
        }
        List<Map<String, Object>> retired = new ArrayList<>();
        if (previous != null) {
            for (Key key : previous.all) {
                long removedAt = key.retired() ? key.removedAt() : fetchedAt;
                if (!publishedIds.contains(identity(key.jwk())) && fetchedAt - removedAt <= keepRetired) {
                    Map<String, Object> entry = new LinkedHashMap<>();
                    entry.put("removedAt", removedAt);
                    entry.put("key", key.jwk().toJSONObject());
                    retired.add(entry);
                }
            }
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("fetchedAt", fetchedAt);
        doc.put("keys", published);
        doc.put("retired", retired);
        return decode(JSONObjectUtils.toJSONString(doc).getBytes(StandardCharsets.UTF_8));
    }

    private static void addKey(List<Key> keys, JWK jwk, long removedAt) {
        JWSVerifier verifier = verifier(jwk);
        if (verifier != null) {
            keys.add(new Key(jwk, verifier, removedAt));
        }
    }

    /** A verifier for a public RSA or EC signing key; null for anything else (private, symmetric, {@code use: enc}). */
    private static JWSVerifier verifier(JWK jwk) {
        if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
            return null;
        }
        try {
            if (jwk instanceof RSAKey rsa && !rsa.isPrivate()) {
                return new RSASSAVerifier(rsa);
            }
            if (jwk instanceof ECKey ec && !ec.isPrivate()) {
                return new ECDSAVerifier(ec);
            }
            return null;
        } catch (JOSEException e) {
            return null;
        }
    }

    /** kid plus the RFC 7638 thumbprint: a kid reused for a new key is a new key. */
    private static String identity(JWK jwk) {
        try {
            return jwk.getKeyID() + "#" + jwk.computeThumbprint();
        } catch (JOSEException e) {
            return jwk.getKeyID() + "#" + jwk.toJSONString();
        }
    }

    @Override
    public String toString() {
        return "KeySnapshot[fetchedAt=" + fetchedAt + ", keys=" + all.size() + "]";
    }

    /**
     * One verifying key.
     *
     * @param removedAt when the IdP stopped publishing it; {@link Long#MAX_VALUE} while published
     */
    record Key(JWK jwk, JWSVerifier verifier, long removedAt) {

        boolean retired() {
            return removedAt != Long.MAX_VALUE;
        }

        /** Whether this key may verify {@code alg}: its type supports it and its own {@code alg}, if any, is that one. */
        boolean fits(JWSAlgorithm alg) {
            Set<JWSAlgorithm> supported = verifier.supportedJWSAlgorithms();
            return supported.contains(alg) && (jwk.getAlgorithm() == null || jwk.getAlgorithm().getName().equals(alg.getName()));
        }
    }
}
