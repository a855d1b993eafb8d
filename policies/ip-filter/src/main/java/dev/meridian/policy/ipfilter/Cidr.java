package dev.meridian.policy.ipfilter;

/**
 * One block of addresses as its first and last address (each as two unsigned longs, see
 * {@link IpAddress}); a single address is a block of one.
 */
record Cidr(boolean v4, long firstHi, long firstLo, long lastHi, long lastLo) {

    /** IPv4-mapped IPv6 blocks ({@code ::ffff:10.0.0.0/104}) are the IPv4 blocks 96 bits shorter. */
    private static final int MAPPED_PREFIX = 96;

    /**
     * {@code 10.0.0.0/8}, {@code 2001:db8::/32}, or a single address ({@code 192.0.2.7}).
     *
     * @throws IllegalArgumentException saying what is wrong, e.g. the block's real first address
     */
    static Cidr parse(String text) {
        int slash = text.indexOf('/');
        IpAddress address = IpAddress.parse(text, 0, slash < 0 ? text.length() : slash);
        if (address == null) {
            throw new IllegalArgumentException("not a CIDR or an IP address (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)");
        }
        boolean written6 = text.indexOf(':') >= 0;
        int written = slash < 0 ? (written6 ? 128 : 32) : prefix(text, slash + 1);
        int prefix = written;
        if (address.v4() && written6) {
            if (written < MAPPED_PREFIX) {
                throw new IllegalArgumentException("an IPv4-mapped block needs a prefix of at least /96");
            }
            prefix = written - MAPPED_PREFIX;
        }
        if (prefix < 0 || prefix > address.bits()) {
            throw new IllegalArgumentException("prefix length out of range: 0 to " + (written6 ? 128 : 32));
        }
        if (address.v4()) {
            long hostMask = prefix == 0 ? 0xFFFF_FFFFL : (1L << (32 - prefix)) - 1;
            if ((address.lo() & hostMask) != 0) {
                throw hostBits(new IpAddress(true, 0, address.lo() & ~hostMask), prefix);
            }
            return new Cidr(true, 0, address.lo(), 0, address.lo() | hostMask);
        }
        long hiMask = prefix >= 64 ? 0 : -1L >>> prefix; // >>> 64 would be >>> 0
        long loMask = prefix <= 64 ? -1L : prefix == 128 ? 0 : -1L >>> (prefix - 64);
        if ((address.hi() & hiMask | address.lo() & loMask) != 0) {
            throw hostBits(new IpAddress(false, address.hi() & ~hiMask, address.lo() & ~loMask), written);
        }
        return new Cidr(false, address.hi(), address.lo(), address.hi() | hiMask, address.lo() | loMask);
    }

    /** A block written with host bits is most likely a typo for a different block: say which one was meant, do not guess. */
    private static IllegalArgumentException hostBits(IpAddress first, int prefix) {
        return new IllegalArgumentException("host bits set after the prefix; the block's first address is " + first
                + " (write " + first + "/" + prefix + ")");
    }

    private static int prefix(String text, int from) {
        int to = text.length();
        if (from == to || to - from > 3) {
            throw new IllegalArgumentException("prefix length must be a number after '/'");
        }
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException("prefix length must be a number after '/'");
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
