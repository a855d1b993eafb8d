package dev.meridian.policy.introspection;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * One immutable snapshot of the cluster's revocation list, written by the admin API
 * ({@code POST /api/v1/introspection/revoke}, gateway-manager's {@code IntrospectionRevoker},
 * which owns the format) and read here. The value is UTF-8 text:
 *
 * <pre>
 * meridian-revocations 1 &lt;sequence&gt;
 * token &lt;epoch ms&gt; &lt;sha-256 hex of the token&gt;
 * sub &lt;epoch ms&gt; &lt;url-encoded subject&gt;
 * client &lt;epoch ms&gt; &lt;url-encoded client_id&gt;
 * </pre>
 *
 * The sequence grows with every change; lines this build does not know are skipped, so a newer
 * manager can add kinds without breaking older policies.
 */
final class Revocations {

    static final String MAGIC = "meridian-revocations 1 ";
    static final Revocations NONE = new Revocations(0, Set.of(), Map.of(), Map.of());

    /** What a revocation means for one held answer. */
    enum Verdict {
        /** Not revoked: use the answer. */
        KEEP,
        /** Revoked: 401. */
        REJECT,
        /** The answer predates a revocation that cannot be judged without {@code iat}: ask the IdP again. */
        ASK_AGAIN
    }

    private final long sequence;
    private final Set<String> tokens;
    private final Map<String, Long> subjects;
    private final Map<String, Long> clients;

    private Revocations(long sequence, Set<String> tokens, Map<String, Long> subjects, Map<String, Long> clients) {
        this.sequence = sequence;
        this.tokens = tokens;
        this.subjects = subjects;
        this.clients = clients;
    }

    /** The list in {@code value}; {@link #NONE} when it is not one (the admin API rewrites it whole on the next change). */
    static Revocations parse(byte[] value) {
        String text = new String(value, StandardCharsets.UTF_8);
        String[] lines = text.split("\n");
        if (!lines[0].startsWith(MAGIC)) {
            return NONE;
        }
        long sequence;
        try {
            sequence = Long.parseLong(lines[0].substring(MAGIC.length()).strip());
        } catch (NumberFormatException e) {
            return NONE;
        }
        Set<String> tokens = new HashSet<>();
        Map<String, Long> subjects = new HashMap<>();
        Map<String, Long> clients = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(" ", 3);
            if (f.length != 3) {
                continue;
            }
            try {
                long at = Long.parseLong(f[1]);
                String v = URLDecoder.decode(f[2], StandardCharsets.UTF_8);
                switch (f[0]) {
                    case "token" -> tokens.add(v);
                    case "sub" -> subjects.merge(v, at, Math::max);
                    case "client" -> clients.merge(v, at, Math::max);
                    default -> {
                        // a kind of a newer manager
                    }
                }
            } catch (IllegalArgumentException e) {
                // a damaged line revokes nothing; the others still count
            }
        }
        return new Revocations(sequence, Set.copyOf(tokens), Map.copyOf(subjects), Map.copyOf(clients));
    }

    long sequence() {
        return sequence;
    }

    int size() {
        return tokens.size() + subjects.size() + clients.size();
    }

    /**
     * The verdict on {@code info}, held for the token whose digest is {@code tokenHash}. A revoked
     * token is rejected. A subject or client revoked at T rejects its tokens issued ({@code iat})
     * at or before T, as an IdP's not-before policy does; for a token without {@code iat} only
     * the answers fetched at or before T are dropped and the IdP asked again.
     */
    Verdict check(String tokenHash, TokenInfo info) {
        if (tokens.isEmpty() && subjects.isEmpty() && clients.isEmpty()) {
            return Verdict.KEEP;
        }
        if (tokens.contains(tokenHash)) {
            return Verdict.REJECT;
        }
        long at = Math.max(marker(subjects, info.sub()), marker(clients, info.clientId()));
        if (at == Long.MIN_VALUE) {
            return Verdict.KEEP;
        }
        if (info.iat() > 0) {
            return info.iat() * 1000 <= at ? Verdict.REJECT : Verdict.KEEP;
        }
        return info.fetchedAt() <= at ? Verdict.ASK_AGAIN : Verdict.KEEP;
    }

    /** The latest revocation time that concerns {@code info}, to ask the IdP again after it. */
    long revokedAt(TokenInfo info) {
        return Math.max(marker(subjects, info.sub()), marker(clients, info.clientId()));
    }

    private static long marker(Map<String, Long> markers, String value) {
        if (value.isEmpty()) {
            return Long.MIN_VALUE;
        }
        Long at = markers.get(value);
        return at == null ? Long.MIN_VALUE : at;
    }
}
