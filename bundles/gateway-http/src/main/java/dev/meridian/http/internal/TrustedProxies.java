package dev.meridian.http.internal;

import java.util.ArrayList;
import java.util.List;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/**
 * The node's trusted proxies ({@code MERIDIAN_TRUSTED_PROXIES}, CONTRACT §8) and the client
 * address they imply. When the socket peer is one of them, the client is the right-most
 * {@code X-Forwarded-For} hop that is not (the walk goes from the right over trusted hops, as
 * nginx's {@code real_ip_recursive on}); otherwise the client is the peer and whatever it wrote
 * about earlier hops is ignored.
 *
 * <p>Rules for the hops, each chosen so a client cannot pick its own address:
 * <ul>
 *   <li>every {@code X-Forwarded-For} field counts, in order, as one comma-separated list (RFC 9110
 *       §5.3); blanks around hops and empty hops ({@code "a,,b"}) are skipped;
 *   <li>a hop may carry a port ({@code 192.0.2.1:1234}, {@code [2001:db8::1]:443}) or an IPv6 zone,
 *       which are dropped; IPv4-mapped IPv6 ({@code ::ffff:192.0.2.1}) is matched as IPv4;
 *   <li>a hop that is not an IP address ({@code unknown}, a name, garbage) ends the walk: the
 *       client is the last address reached before it (a trusted proxy, possibly the peer itself),
 *       as nginx does: nothing left of a hop its trusted neighbour did not vouch for is believed;
 *   <li>when every hop is trusted, the client is the left-most one (the farthest address known).
 * </ul>
 *
 * <p>The hot path: with no trusted proxy configured, {@link #client} returns the peer's string
 * without looking at the fields; with some, a peer outside the list costs one parse of its
 * address into primitives (IPv4: no allocation) and a scan of the list. Immutable, thread-safe.
 */
final class TrustedProxies {

    /** The setting's name (CONTRACT §8). */
    static final String SETTING = "MERIDIAN_TRUSTED_PROXIES";

    /** No trusted proxy: the client is always the socket peer. */
    static final TrustedProxies NONE = new TrustedProxies(new int[0], new int[0], new long[0], new long[0], new long[0],
        new long[0], "");

    private final int[] v4Net;
    private final int[] v4Mask;
    private final long[] v6NetHi;
    private final long[] v6NetLo;
    private final long[] v6MaskHi;
    private final long[] v6MaskLo;
    private final String shown;

    private TrustedProxies(int[] v4Net, int[] v4Mask, long[] v6NetHi, long[] v6NetLo, long[] v6MaskHi, long[] v6MaskLo,
                           String shown) {
        this.v4Net = v4Net;
        this.v4Mask = v4Mask;
        this.v6NetHi = v6NetHi;
        this.v6NetLo = v6NetLo;
        this.v6MaskHi = v6MaskHi;
        this.v6MaskLo = v6MaskLo;
        this.shown = shown;
    }

    /**
     * Parses the setting: CIDRs ({@code 10.0.0.0/8}, {@code 2001:db8::/32}) or single addresses,
     * separated by commas and/or blanks; empty or null = {@link #NONE}.
     *
     * @throws IllegalArgumentException naming the setting and the entry, for any entry that is not
     *         an IP address or CIDR, a prefix out of range, or host bits set past the prefix
     *         ({@code 10.0.0.1/8}: most likely a typo for another network, and a typo here decides
     *         who may claim any client address)
     */
    static TrustedProxies parse(String setting) {
        if (setting == null || setting.isBlank()) {
            return NONE;
        }
        List<int[]> v4 = new ArrayList<>();
        List<long[]> v6 = new ArrayList<>();
        List<String> entries = new ArrayList<>();
        for (String raw : setting.split("[,\\s]+")) {
            if (raw.isEmpty()) {
                continue;
            }
            entries.add(raw);
            int slash = raw.indexOf('/');
            String address = slash < 0 ? raw : raw.substring(0, slash);
            long ipv4 = address.indexOf(':') < 0 ? parseIpv4(address, 0, address.length()) : -1;
            long[] ipv6 = ipv4 < 0 && address.indexOf(':') >= 0 ? parseIpv6(address, 0, address.length()) : null;
            if (ipv4 < 0 && ipv6 == null) {
                throw invalid(raw, "not an IPv4 or IPv6 address");
            }
            int prefix = ipv6 == null ? 32 : 128;
            if (slash >= 0) {
                prefix = prefixLength(raw, slash + 1, prefix);
            }
            if (ipv6 != null && ipv6[0] == 0 && (ipv6[1] >>> 32) == 0xFFFFL && prefix >= 96) {
                // ::ffff:a.b.c.d/n is IPv4 a.b.c.d/(n-96): mapped peers and hops are matched as IPv4
                ipv4 = ipv6[1] & 0xFFFFFFFFL;
                ipv6 = null;
                prefix -= 96;
            }
            if (ipv6 == null) {
                int addr = (int) ipv4;
                int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
                if ((addr & ~mask) != 0) {
                    throw invalid(raw, "host bits set past the /" + prefix + " prefix (the network is "
                        + ipv4Text(addr & mask) + "/" + prefix + ")");
                }
                v4.add(new int[] {addr, mask});
            } else {
                long maskHi = prefix == 0 ? 0 : prefix >= 64 ? -1L : -1L << (64 - prefix);
                long maskLo = prefix <= 64 ? 0 : prefix == 128 ? -1L : -1L << (128 - prefix);
                if ((ipv6[0] & ~maskHi) != 0 || (ipv6[1] & ~maskLo) != 0) {
                    throw invalid(raw, "host bits set past the /" + prefix + " prefix");
                }
                v6.add(new long[] {ipv6[0], ipv6[1], maskHi, maskLo});
            }
        }
        if (entries.isEmpty()) {
            return NONE;
        }
        int[] v4Net = new int[v4.size()];
        int[] v4Mask = new int[v4.size()];
        for (int i = 0; i < v4.size(); i++) {
            v4Net[i] = v4.get(i)[0];
            v4Mask[i] = v4.get(i)[1];
        }
        long[] hi = new long[v6.size()];
        long[] lo = new long[v6.size()];
        long[] maskHi = new long[v6.size()];
        long[] maskLo = new long[v6.size()];
        for (int i = 0; i < v6.size(); i++) {
            long[] e = v6.get(i);
            hi[i] = e[0];
            lo[i] = e[1];
            maskHi[i] = e[2];
            maskLo[i] = e[3];
        }
        return new TrustedProxies(v4Net, v4Mask, hi, lo, maskHi, maskLo, String.join(",", entries));
    }

    private static IllegalArgumentException invalid(String entry, String why) {
        return new IllegalArgumentException(SETTING + ": '" + entry + "': " + why + "; expected comma-separated IPv4/IPv6 addresses or CIDRs such as 10.0.0.0/8, 2001:db8::/32");
    }

    private static int prefixLength(String raw, int from, int max) {
        if (from == raw.length() || raw.length() - from > 3) {
            throw invalid(raw, "not a valid prefix length (0-" + max + ")");
        }
        int n = 0;
        for (int i = from; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c < '0' || c > '9') {
                throw invalid(raw, "not a valid prefix length (0-" + max + ")");
            }
            n = n * 10 + (c - '0');
        }
        if (n > max) {
            throw invalid(raw, "not a valid prefix length (0-" + max + ")");
        }
        return n;
    }

    boolean isEmpty() {
        return v4Net.length == 0 && v6NetHi.length == 0;
    }

    /** The setting as parsed (entries joined by commas), for the log. */
    @Override
    public String toString() {
        return shown.isEmpty() ? "none" : shown;
    }

    /**
     * The client address of a request from {@code peer} (the socket peer's address, as Jetty gives
     * it) with {@code fields}: see the class comment. Returns {@code peer} itself (the same string)
     * when the peer is not trusted.
     */
    String client(String peer, HttpFields fields) {
        if (isEmpty() || !trusts(peer, 0, peer.length())) {
            return peer;
        }
        // rare (a trusted peer): every X-Forwarded-For field, in order
        List<String> values = fields.getValuesList(HttpHeader.X_FORWARDED_FOR);
        return values.isEmpty() ? peer : client(peer, values);
    }

    /** {@link #client(String, HttpFields)} over the values of the peer's {@code X-Forwarded-For} fields, in order. */
    String client(String peer, List<String> forwardedFor) {
        if (isEmpty() || !trusts(peer, 0, peer.length())) {
            return peer;
        }
        String last = peer;
        for (int v = forwardedFor.size() - 1; v >= 0; v--) {
            String value = forwardedFor.get(v);
            int end = value.length();
            while (true) {
                int comma = value.lastIndexOf(',', end - 1);
                int s = comma + 1;
                int e = end;
                while (s < e && isBlank(value.charAt(s))) {
                    s++;
                }
                while (e > s && isBlank(value.charAt(e - 1))) {
                    e--;
                }
                if (s < e) { // else an empty hop, skipped
                    int[] bounds = addressBounds(value, s, e);
                    if (bounds == null || !isAddress(value, bounds[0], bounds[1])) {
                        return last; // not an address: nothing left of it is believed
                    }
                    String hop = value.substring(bounds[0], bounds[1]);
                    if (!trusts(value, bounds[0], bounds[1])) {
                        return hop;
                    }
                    last = hop;
                }
                if (comma < 0) {
                    break;
                }
                end = comma;
            }
        }
        return last; // every hop trusted: the left-most
    }

    /**
     * The value the gateway sends upstream as {@code X-Forwarded-For}: the chain received from a
     * trusted peer with the peer appended; from any other peer, the peer alone (what it says about
     * earlier hops is dropped). An IPv6 peer is written without the brackets Jetty gives it, as
     * proxies write {@code X-Forwarded-For} hops (nginx's {@code $proxy_add_x_forwarded_for}).
     */
    String forwardedFor(String peer, HttpFields fields) {
        String hop = peer.length() > 2 && peer.charAt(0) == '[' && peer.charAt(peer.length() - 1) == ']'
            ? peer.substring(1, peer.length() - 1) : peer;
        if (isEmpty() || !trusts(peer, 0, peer.length())) {
            return hop;
        }
        List<String> values = fields.getValuesList(HttpHeader.X_FORWARDED_FOR);
        if (values.isEmpty()) {
            return hop;
        }
        StringBuilder chain = new StringBuilder(64);
        for (String v : values) {
            String t = v.strip();
            if (!t.isEmpty()) {
                chain.append(t).append(", ");
            }
        }
        return chain.append(hop).toString();
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    /**
     * The address inside a hop [s, e): {@code [v6]:port} and {@code [v6]} lose their brackets,
     * {@code v4:port} its port, {@code v6%zone} its zone; null when the brackets do not close.
     */
    private static int[] addressBounds(String s, int from, int to) {
        if (s.charAt(from) == '[') {
            int close = s.indexOf(']', from);
            if (close < 0 || close >= to) {
                return null;
            }
            if (close + 1 < to && !isPort(s, close + 1, to)) {
                return null;
            }
            return new int[] {from + 1, stripZone(s, from + 1, close)};
        }
        int colon = indexOf(s, ':', from, to);
        if (colon >= 0 && indexOf(s, ':', colon + 1, to) < 0) {
            // exactly one colon: IPv4 with a port
            return isPort(s, colon, to) ? new int[] {from, colon} : null;
        }
        return new int[] {from, stripZone(s, from, to)};
    }

    /** Whether [from, to) is ":" and 1-5 digits. */
    private static boolean isPort(String s, int from, int to) {
        if (s.charAt(from) != ':' || to - from < 2 || to - from > 6) {
            return false;
        }
        for (int i = from + 1; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static int stripZone(String s, int from, int to) {
        int pct = indexOf(s, '%', from, to);
        return pct >= 0 ? pct : to;
    }

    private static int indexOf(String s, char c, int from, int to) {
        int i = s.indexOf(c, from);
        return i < to ? i : -1;
    }

    /** An ASCII hex digit's value, or -1 (Character.digit would take other scripts' digits too). */
    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static boolean isAddress(String s, int from, int to) {
        if (from >= to) {
            return false;
        }
        return parseIpv4(s, from, to) >= 0 || parseIpv6(s, from, to) != null;
    }

    /**
     * Whether the address in [from, to) is trusted: an IP literal, an IPv6 one possibly in
     * brackets (Jetty gives a peer's IPv6 address so: {@code [0:0:0:0:0:0:0:1]}) and with a zone,
     * both ignored.
     */
    boolean trusts(String s, int from, int to) {
        if (to - from > 2 && s.charAt(from) == '[' && s.charAt(to - 1) == ']') {
            from++;
            to--;
        }
        to = stripZone(s, from, to);
        long v4 = parseIpv4(s, from, to);
        if (v4 < 0) {
            if (indexOf(s, ':', from, to) < 0) {
                return false;
            }
            long[] v6 = parseIpv6(s, from, to);
            if (v6 == null) {
                return false;
            }
            if (v6[0] == 0 && (v6[1] >>> 32) == 0xFFFFL) {
                v4 = v6[1] & 0xFFFFFFFFL; // IPv4-mapped: matched as IPv4
            } else {
                for (int i = 0; i < v6NetHi.length; i++) {
                    if ((v6[0] & v6MaskHi[i]) == v6NetHi[i] && (v6[1] & v6MaskLo[i]) == v6NetLo[i]) {
                        return true;
                    }
                }
                return false;
            }
        }
        int a = (int) v4;
        for (int i = 0; i < v4Net.length; i++) {
            if ((a & v4Mask[i]) == v4Net[i]) {
                return true;
            }
        }
        return false;
    }

    /**
     * A dotted-quad IPv4 address in [from, to) as an unsigned 32-bit value, or -1. Four decimal
     * parts of 1-3 digits, each at most 255, no leading zeros (they read as octal elsewhere).
     */
    static long parseIpv4(String s, int from, int to) {
        long result = 0;
        int parts = 0;
        int i = from;
        while (i <= to) {
            int start = i;
            int n = 0;
            while (i < to && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                n = n * 10 + (s.charAt(i) - '0');
                i++;
                if (i - start > 3) {
                    return -1;
                }
            }
            int digits = i - start;
            if (digits == 0 || n > 255 || (digits > 1 && s.charAt(start) == '0')) {
                return -1;
            }
            result = (result << 8) | n;
            parts++;
            if (i == to) {
                break;
            }
            if (s.charAt(i) != '.' || parts == 4) {
                return -1;
            }
            i++;
        }
        return parts == 4 ? result : -1;
    }

    /**
     * An IPv6 address in [from, to) (RFC 4291 §2.2: hex groups, one {@code ::}, an IPv4 tail) as
     * {high, low} 64-bit halves, or null.
     */
    static long[] parseIpv6(String s, int from, int to) {
        if (to - from < 2 || to - from > 45) {
            return null;
        }
        int[] groups = new int[8];
        int count = 0;
        int gap = -1; // index in groups where "::" stands
        int i = from;
        if (s.charAt(i) == ':') {
            if (s.charAt(i + 1) != ':') {
                return null;
            }
            gap = 0;
            i += 2;
            if (i == to) {
                return new long[] {0, 0};
            }
        }
        while (i < to) {
            if (count == 8) {
                return null;
            }
            int start = i;
            int v = 0;
            while (i < to && hex(s.charAt(i)) >= 0 && i - start < 4) {
                v = (v << 4) | hex(s.charAt(i));
                i++;
            }
            if (i < to && s.charAt(i) == '.') {
                // an IPv4 tail takes the last two groups
                long v4 = parseIpv4(s, start, to);
                if (v4 < 0 || count > 6) {
                    return null;
                }
                groups[count++] = (int) (v4 >>> 16);
                groups[count++] = (int) (v4 & 0xFFFF);
                i = to;
                break;
            }
            if (i == start) {
                return null;
            }
            groups[count++] = v;
            if (i == to) {
                break;
            }
            if (s.charAt(i) != ':') {
                return null;
            }
            i++;
            if (i < to && s.charAt(i) == ':') {
                if (gap >= 0) {
                    return null; // a second "::"
                }
                gap = count;
                i++;
                if (i == to) {
                    break;
                }
            } else if (i == to) {
                return null; // a trailing single ':'
            }
        }
        if (gap < 0 && count != 8 || gap >= 0 && count > 7) {
            return null;
        }
        int[] full = new int[8];
        if (gap < 0) {
            full = groups;
        } else {
            int tail = count - gap;
            System.arraycopy(groups, 0, full, 0, gap);
            System.arraycopy(groups, gap, full, 8 - tail, tail);
        }
        long hi = 0;
        long lo = 0;
        for (int g = 0; g < 4; g++) {
            hi = (hi << 16) | full[g];
            lo = (lo << 16) | full[g + 4];
        }
        return new long[] {hi, lo};
    }

    static String ipv4Text(int a) {
        return ((a >>> 24) & 0xFF) + "." + ((a >>> 16) & 0xFF) + "." + ((a >>> 8) & 0xFF) + "." + (a & 0xFF);
    }
}
