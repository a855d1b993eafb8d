package dev.meridian.policy.introspection;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * What an introspection answer says about a token, as this policy keeps it: the RFC 7662 members
 * it uses and when it was asked. Crosses the cluster as the bytes of {@link #encode()} (a
 * version byte first), never as a Java object: a later build of this bundle reads what an
 * earlier one wrote, or ignores it and asks again.
 *
 * @param active the IdP's {@code active}
 * @param sub {@code sub}, or ""
 * @param clientId {@code client_id}, or ""
 * @param username {@code username}, or ""
 * @param scope {@code scope} (space-separated), or ""
 * @param exp {@code exp} in epoch seconds, 0 when absent
 * @param iat {@code iat} in epoch seconds, 0 when absent
 * @param fetchedAt when the IdP was asked, epoch ms of the asking node's clock
 */
record TokenInfo(boolean active, String sub, String clientId, String username, String scope, long exp, long iat, long fetchedAt) {

    private static final byte VERSION = 1;
    /** Claims are cut to this many characters when stored (the parser caps them at 64 KiB already). */
    static final int MAX_CLAIM = 4096;

    static TokenInfo inactive(long fetchedAt) {
        return new TokenInfo(false, "", "", "", "", 0, 0, fetchedAt);
    }

    /**
     * The consumer the cache and rate limit see: the configured claim, else {@code client_id} (a
     * client-credentials token has no {@code sub}), else none.
     */
    Optional<String> consumer(String claim) {
        String v = switch (claim) {
            case "client_id" -> clientId;
            case "username" -> username;
            default -> sub;
        };
        if (v.isEmpty()) {
            v = clientId;
        }
        return v.isEmpty() ? Optional.empty() : Optional.of(v);
    }

    /** Whether {@code scope} grants every one of {@code required} (RFC 6749 §3.3: space-separated, case-sensitive). */
    boolean hasScopes(Set<String> required) {
        if (required.isEmpty()) {
            return true;
        }
        Set<String> granted = Set.of(Arrays.stream(scope.split(" ")).filter(s -> !s.isEmpty()).distinct().toArray(String[]::new));
        return granted.containsAll(required);
    }

    /** Whether {@code exp} has passed at {@code nowMillis}; a token without {@code exp} never expires here. */
    boolean expired(long nowMillis) {
        return exp > 0 && exp * 1000 <= nowMillis;
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + sub.length() + clientId.length() + username.length() + scope.length());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeBoolean(active);
            out.writeLong(exp);
            out.writeLong(iat);
            out.writeLong(fetchedAt);
            out.writeUTF(cut(sub));
            out.writeUTF(cut(clientId));
            out.writeUTF(cut(username));
            out.writeUTF(cut(scope));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    /** The info {@link #encode()} wrote, or empty for anything else (another version, a lease, garbage). */
    static Optional<TokenInfo> decode(byte[] value) {
        if (value.length < 1 || value[0] != VERSION) {
            return Optional.empty();
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value, 1, value.length - 1))) {
            boolean active = in.readBoolean();
            long exp = in.readLong();
            long iat = in.readLong();
            long fetchedAt = in.readLong();
            TokenInfo info = new TokenInfo(active, in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(), exp, iat, fetchedAt);
            return in.available() == 0 ? Optional.of(info) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** At most {@link #MAX_CLAIM} characters, never splitting a surrogate pair. */
    private static String cut(String s) {
        if (s.length() <= MAX_CLAIM) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(MAX_CLAIM - 1)) ? MAX_CLAIM - 1 : MAX_CLAIM;
        return s.substring(0, end);
    }
}
