package dev.meridian.policy.ipfilter;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * An IPv4 or IPv6 address as two unsigned longs ({@code hi} is 0 for IPv4, whose 32 bits sit in
 * {@code lo}), so ranges compare with two {@link Long#compareUnsigned} calls. IPv4-mapped IPv6
 * addresses ({@code ::ffff:192.0.2.7}, what a dual-stack socket reports for an IPv4 peer) are
 * IPv4, so one IPv4 list covers both.
 *
 * <p>The parser is hand-written rather than {@link InetAddress#getByName}: that one resolves
 * anything that is not a literal through DNS, which must never happen on a request thread or
 * for a config value.
 */
record IpAddress(boolean v4, long hi, long lo) {

    private static final long LOW_32 = 0xFFFF_FFFFL;
    private static final long MAPPED_MARKER = 0xFFFFL;
    private static final int GROUPS = 8;

    int bits() {
        return v4 ? 32 : 128;
    }

    /**
     * A client address as the engine reports it: a literal, maybe in brackets ({@code [::1]}),
     * maybe with a zone ({@code fe80::1%eth0}, dropped).
     *
     * @return the address, or null when {@code s} is not one
     */
    static IpAddress parseClient(String s) {
        int from = 0;
        int to = s.length();
        if (to >= 2 && s.charAt(0) == '[' && s.charAt(to - 1) == ']') {
            from = 1;
            to--;
        }
        int zone = s.indexOf('%', from);
        if (zone >= 0 && zone < to) {
            to = zone;
        }
        return parse(s, from, to);
    }

    /** An IPv4 (dotted quad) or IPv6 literal in {@code s[from, to)}, or null. */
    static IpAddress parse(CharSequence s, int from, int to) {
        if (from >= to) {
            return null;
        }
        for (int i = from; i < to; i++) {
            if (s.charAt(i) == ':') {
                return parse6(s, from, to);
            }
        }
        long v4 = parse4(s, from, to);
        return v4 < 0 ? null : new IpAddress(true, 0, v4);
    }

    /**
     * A dotted quad in {@code s[from, to)} as an unsigned 32-bit value, or -1. Strict: four
     * decimal parts 0-255, no leading zeros (which some parsers read as octal: {@code 010} is 8).
     */
    static long parse4(CharSequence s, int from, int to) {
        long value = 0;
        int parts = 0;
        int i = from;
        while (true) {
            int start = i;
            int part = 0;
            while (i < to && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                part = part * 10 + (s.charAt(i) - '0');
                i++;
                if (part > 255) {
                    return -1;
                }
            }
            int digits = i - start;
            if (digits == 0 || digits > 1 && s.charAt(start) == '0') {
                return -1;
            }
            value = value << 8 | part;
            parts++;
            if (i == to) {
                return parts == 4 ? value : -1;
            }
            if (s.charAt(i) != '.' || parts == 4) {
                return -1;
            }
            i++;
        }
    }

    /**
     * An RFC 4291 text form: up to eight groups of one to four hex digits, at most one
     * {@code ::} standing for one or more zero groups, optionally ending in a dotted quad.
     */
    private static IpAddress parse6(CharSequence s, int from, int to) {
        // groups before "::" shift into head, groups after it into tail; head is moved up at the end
        long headHi = 0;
        long headLo = 0;
        long tailHi = 0;
        long tailLo = 0;
        int head = 0;
        int tail = 0;
        boolean gap = false;
        int i = from;
        if (to - from >= 2 && s.charAt(from) == ':' && s.charAt(from + 1) == ':') {
            gap = true;
            i = from + 2;
        } else if (s.charAt(from) == ':') {
            return null;
        }
        while (i < to) {
            int start = i;
            int group = 0;
            while (i < to && hex(s.charAt(i)) >= 0 && i - start < 4) {
                group = group << 4 | hex(s.charAt(i));
                i++;
            }
            int count = 1;
            int second = 0;
            if (i < to && s.charAt(i) == '.') {
                long quad = parse4(s, start, to); // a dotted quad ends the address
                if (quad < 0) {
                    return null;
                }
                count = 2;
                group = (int) (quad >>> 16);
                second = (int) (quad & 0xFFFF);
                i = to;
            } else if (i < to && hex(s.charAt(i)) >= 0) {
                return null; // five hex digits or more
            }
            if (i == start || head + tail + count > GROUPS) {
                return null;
            }
            for (int k = 0; k < count; k++) {
                int value = k == 0 ? group : second;
                if (gap) {
                    tailHi = tailHi << 16 | tailLo >>> 48;
                    tailLo = tailLo << 16 | value;
                    tail++;
                } else {
                    headHi = headHi << 16 | headLo >>> 48;
                    headLo = headLo << 16 | value;
                    head++;
                }
            }
            if (i == to) {
                break;
            }
            if (s.charAt(i) != ':') {
                return null;
            }
            i++;
            if (i < to && s.charAt(i) == ':') {
                if (gap) {
                    return null; // a second "::"
                }
                gap = true;
                i++;
            } else if (i == to) {
                return null; // a trailing single ':'
            }
        }
        boolean complete = gap ? head + tail < GROUPS : head == GROUPS;
        if (!complete) {
            return null;
        }
        for (int g = head; g < GROUPS; g++) {
            headHi = headHi << 16 | headLo >>> 48;
            headLo <<= 16;
        }
        long hi = headHi | tailHi;
        long lo = headLo | tailLo;
        if (hi == 0 && lo >>> 32 == MAPPED_MARKER) {
            return new IpAddress(true, 0, lo & LOW_32);
        }
        return new IpAddress(false, hi, lo);
    }

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

    /** The canonical text ({@code 10.0.0.0}, {@code 2001:db8:0:0:0:0:0:0}), for messages. */
    @Override
    public String toString() {
        byte[] bytes = v4 ? ByteBuffer.allocate(4).putInt((int) lo).array()
                : ByteBuffer.allocate(16).putLong(hi).putLong(lo).array();
        try {
            return InetAddress.getByAddress(bytes).getHostAddress(); // no lookup for raw bytes
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes are always an address", e);
        }
    }
}
