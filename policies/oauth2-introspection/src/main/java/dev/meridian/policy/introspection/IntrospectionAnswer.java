package dev.meridian.policy.introspection;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.util.Optional;

/**
 * Reads an RFC 7662 §2.2 introspection answer. The identity provider is trusted to answer but
 * not to answer well: a streaming parse with bounded nesting and string length, only the members
 * this policy uses are kept, a member of the wrong type (RFC 7662 fixes them) makes the whole
 * answer unusable, and everything else is skipped without being materialised.
 */
final class IntrospectionAnswer {

    /** Nesting beyond this is refused by the parser before it allocates for it. */
    static final int MAX_DEPTH = 32;
    /** No claim we keep needs more; a longer string is an attack or a broken IdP. */
    static final int MAX_STRING = 65_536;

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxStringLength(MAX_STRING)
                    .maxNumberLength(32)
                    .build())
            .build();

    private IntrospectionAnswer() {
    }

    /**
     * The token's information, or empty when {@code body} is not one JSON object with a boolean
     * {@code active} and correctly typed members. An inactive answer keeps nothing of the rest
     * (RFC 7662 §2.2: other members should not be trusted then).
     *
     * @param fetchedAt when the call was made (epoch ms), kept to age the answer
     */
    static Optional<TokenInfo> parse(byte[] body, long fetchedAt) {
        Boolean active = null;
        String sub = "";
        String clientId = "";
        String username = "";
        String scope = "";
        long exp = 0;
        long iat = 0;
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return Optional.empty();
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "active" -> {
                        if (!value.isBoolean()) {
                            return Optional.empty();
                        }
                        active = value == JsonToken.VALUE_TRUE;
                    }
                    case "sub" -> sub = string(p, value);
                    case "client_id" -> clientId = string(p, value);
                    case "username" -> username = string(p, value);
                    case "scope" -> scope = string(p, value);
                    case "exp" -> exp = seconds(p, value);
                    case "iat" -> iat = seconds(p, value);
                    default -> p.skipChildren();
                }
                if (sub == null || clientId == null || username == null || scope == null || exp < 0 || iat < 0) {
                    return Optional.empty();
                }
            }
            // exactly one object, nothing after it
            if (t != JsonToken.END_OBJECT || p.nextToken() != null || active == null) {
                return Optional.empty();
            }
        } catch (IOException | RuntimeException e) {
            // JsonParseException, StreamConstraintsException, a number out of range...
            return Optional.empty();
        }
        return Optional.of(active
                ? new TokenInfo(true, sub, clientId, username, scope, exp, iat, fetchedAt)
                : TokenInfo.inactive(fetchedAt));
    }

    /** A string member; {@code null} (the Java value) when it has another type, "" for JSON null. */
    private static String string(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return "";
        }
        if (value != JsonToken.VALUE_STRING) {
            p.skipChildren();
            return null;
        }
        return p.getText();
    }

    /** A NumericDate (RFC 7519 §2): seconds, possibly fractional; -1 when it is anything else. */
    private static long seconds(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return 0;
        }
        if (value != JsonToken.VALUE_NUMBER_INT && value != JsonToken.VALUE_NUMBER_FLOAT) {
            p.skipChildren();
            return -1;
        }
        double d = p.getDoubleValue();
        return d >= 0 && d < 1e13 ? (long) d : -1;
    }
}
