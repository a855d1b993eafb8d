package dev.meridian.http.internal;

import java.util.Set;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/** Header rules of a proxy: hop-by-hop fields (RFC 9110 §7.6.1) and {@code Proxy-*} fields never cross it. */
final class Headers {

    private static final Set<HttpHeader> HOP_BY_HOP = Set.of(HttpHeader.CONNECTION, HttpHeader.KEEP_ALIVE,
        HttpHeader.PROXY_AUTHENTICATE, HttpHeader.PROXY_AUTHORIZATION, HttpHeader.TE, HttpHeader.TRAILER,
        HttpHeader.TRANSFER_ENCODING, HttpHeader.UPGRADE, HttpHeader.PROXY_CONNECTION);

    private Headers() {
    }

    /** Fields named by a {@code Connection} header other than keep-alive/close, or null when none. */
    static String[] connectionTokens(HttpFields fields) {
        if (!fields.contains(HttpHeader.CONNECTION)) {
            return null;
        }
        java.util.List<String> tokens = new java.util.ArrayList<>();
        for (String value : fields.getValuesList(HttpHeader.CONNECTION)) {
            for (String token : value.split(",")) {
                String t = token.trim();
                if (!t.isEmpty() && !t.equalsIgnoreCase("keep-alive") && !t.equalsIgnoreCase("close")) {
                    tokens.add(t);
                }
            }
        }
        return tokens.isEmpty() ? null : tokens.toArray(new String[0]);
    }

    /** True for fields a proxy must drop: hop-by-hop ones and those named in {@code tokens}. */
    static boolean isHopByHop(HttpField field, String[] tokens) {
        HttpHeader h = field.getHeader();
        if (h != null && HOP_BY_HOP.contains(h)) {
            return true;
        }
        String name = field.getName();
        if (name.length() > 6 && name.regionMatches(true, 0, "Proxy-", 0, 6)) {
            return true; // Proxy-Authentication-Info and the like answer the proxy, not the client
        }
        if (tokens != null) {
            for (String t : tokens) {
                if (t.equalsIgnoreCase(field.getName())) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Request fields not forwarded besides hop-by-hop: Host, length and expectations, which the
     * client sets itself; and every field a client could use to poison what the upstream believes
     * about the request (CONTRACT §9): {@code X-Forwarded-*} and {@code Forwarded} (the gateway
     * writes its own {@code X-Forwarded-For/-Proto/-Host/-Port}), {@code X-Real-IP}, the
     * rewritten-URL fields ({@code X-Original-URL}, {@code X-Rewrite-URL}) some frameworks route
     * on, and the method overrides ({@code X-HTTP-Method-Override}, {@code X-HTTP-Method},
     * {@code X-Method-Override}) that would turn an allowed GET into a DELETE behind the policies.
     */
    static boolean skipOnRequest(HttpField field) {
        HttpHeader h = field.getHeader();
        if (h != null) {
            return switch (h) {
                case HOST, CONTENT_LENGTH, EXPECT, X_FORWARDED_FOR, X_FORWARDED_PROTO, X_FORWARDED_HOST,
                    X_FORWARDED_PORT, X_FORWARDED_SERVER, FORWARDED -> true;
                default -> false;
            };
        }
        String name = field.getName();
        int n = name.length();
        if (n < 9 || (name.charAt(0) | 0x20) != 'x' || name.charAt(1) != '-') {
            return false; // the common case: not an X- field
        }
        return name.regionMatches(true, 0, "X-Forwarded-", 0, 12)
            || name.equalsIgnoreCase("X-Real-IP")
            || name.equalsIgnoreCase("X-Original-URL")
            || name.equalsIgnoreCase("X-Rewrite-URL")
            || name.equalsIgnoreCase("X-HTTP-Method-Override")
            || name.equalsIgnoreCase("X-HTTP-Method")
            || name.equalsIgnoreCase("X-Method-Override");
    }

    /**
     * Response fields replaced by the gateway's own: Server always; Date on the gateway's own
     * answers (an upstream's answer, stored or not, keeps the origin's Date). And
     * {@code Meridian-Cache-Control}, which is for Meridian's cache only.
     */
    static boolean skipOnResponse(HttpField field) {
        HttpHeader h = field.getHeader();
        return h == HttpHeader.DATE || h == HttpHeader.SERVER || h == null && field.is(MERIDIAN_CACHE_CONTROL);
    }

    /** {@link #skipOnResponse(HttpField)} by name. */
    static boolean skipOnResponse(String name) {
        return name.equalsIgnoreCase("Date") || name.equalsIgnoreCase("Server") || name.equalsIgnoreCase(MERIDIAN_CACHE_CONTROL);
    }

    /** Cache directives aimed at Meridian alone (like RFC 9213's targeted fields): used, never forwarded. */
    static final String MERIDIAN_CACHE_CONTROL = "Meridian-Cache-Control";
}
