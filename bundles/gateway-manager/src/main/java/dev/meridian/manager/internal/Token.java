package dev.meridian.manager.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

import dev.meridian.model.DefinitionException;
import dev.meridian.model.Durations;
import dev.meridian.model.Json;

/**
 * One API token as stored (CONTRACT §9): its name, role, the SHA-256 of the secret (never the
 * secret), when it was created, when it expires and, once revoked, when. Revoked tokens stay as
 * tombstones so a node that was down when one was revoked cannot bring it back; a record with a
 * later {@code created} (the name issued again) or, at equal {@code created}, a revoked one wins.
 *
 * <p>Why SHA-256 and not a password hash (bcrypt, PBKDF2): the secret is 256 random bits, so
 * nobody can guess it from its hash whatever the hash costs; slow hashes exist for low-entropy
 * human passwords. A fast hash also keeps each Bearer call cheap.
 */
record Token(String name, Role role, String hash, Instant created, Instant expires, Instant revoked) {

    /** The prefix of every token: recognisable in logs and by secret scanners. */
    static final String PREFIX = "mrd_";
    static final int RANDOM_BYTES = 32;
    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    /** Names of Karaf's own users: a token must not pass for one of them in the shell or the audit. */
    static final java.util.Set<String> RESERVED = java.util.Set.of("admin", "karaf", "deploy", "shell");
    static final Duration DEFAULT_TTL = Duration.ofDays(90);
    static final Duration MAX_TTL = Duration.ofDays(366);
    private static final Pattern DAYS = Pattern.compile("(\\d{1,5})d");

    /** A new secret: {@code mrd_} and 256 random bits, base64url without padding (43 characters). */
    static String newSecret(SecureRandom random) {
        byte[] bytes = new byte[RANDOM_BYTES];
        random.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Lower-case hex SHA-256 of a presented secret. */
    static String hashOf(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code secret} is this token's, compared in constant time. */
    boolean matches(String secret) {
        return MessageDigest.isEqual(hash.getBytes(StandardCharsets.US_ASCII), hashOf(secret).getBytes(StandardCharsets.US_ASCII));
    }

    boolean usable(Instant now) {
        return revoked == null && (expires == null || now.isBefore(expires));
    }

    Token revokedAt(Instant when) {
        return new Token(name, role, hash, created, expires, when);
    }

    /** Whether this record should replace {@code other} (the same name). */
    boolean supersedes(Token other) {
        int c = created.compareTo(other.created);
        return c > 0 || c == 0 && revoked != null && other.revoked == null;
    }

    /**
     * A TTL as written in a request: {@code 30d}, {@code 12h}, {@code 90m}...; absent → {@link #DEFAULT_TTL};
     * never more than {@link #MAX_TTL}.
     *
     * @throws IllegalArgumentException for anything else
     */
    static Duration ttl(String text) {
        if (text == null) {
            return DEFAULT_TTL;
        }
        var m = DAYS.matcher(text);
        Duration d = m.matches() ? Duration.ofDays(Long.parseLong(m.group(1))) : Durations.parse(text);
        if (d.isZero() || d.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("ttl must be above 0 and at most 366d, got " + text);
        }
        return d;
    }

    /** The record as stored on disk and in the cluster. */
    String toJson() {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("name", name);
        tree.put("role", role.wire());
        tree.put("sha256", hash);
        tree.put("created", created.toString());
        tree.put("expires", expires == null ? null : expires.toString());
        tree.put("revoked", revoked == null ? null : revoked.toString());
        return new String(Json.write(tree), StandardCharsets.UTF_8);
    }

    /** What {@code GET /api/v1/tokens} shows: never the secret nor its hash. */
    Map<String, Object> listing() {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("name", name);
        tree.put("role", role.wire());
        tree.put("created", created.toString());
        tree.put("expires", expires == null ? null : expires.toString());
        return tree;
    }

    static Token fromJson(String json) {
        try {
            Map<?, ?> t = (Map<?, ?>) Json.read(json.getBytes(StandardCharsets.UTF_8));
            return new Token((String) t.get("name"), Role.parse((String) t.get("role")).orElseThrow(),
                (String) t.get("sha256"), Instant.parse((String) t.get("created")), instant(t.get("expires")),
                instant(t.get("revoked")));
        } catch (DefinitionException | RuntimeException e) {
            throw new IllegalArgumentException("unreadable token record", e);
        }
    }

    private static Instant instant(Object o) {
        return o == null ? null : Instant.parse((String) o);
    }
}
