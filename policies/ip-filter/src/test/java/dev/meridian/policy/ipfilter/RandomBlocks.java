package dev.meridian.policy.ipfilter;

import java.util.Random;

/** Random CIDR blocks and addresses of both families, for the property test and the figures. */
final class RandomBlocks {

    private RandomBlocks() {
    }

    /** A block: IPv4 /8-/32 two times in three, IPv6 /16-/128 otherwise. */
    static Cidr next(Random random) {
        return next(random, 8, 16);
    }

    /** A block: IPv4 /{@code shortest4}-/32 two times in three, IPv6 /{@code shortest6}-/128 otherwise. */
    static Cidr next(Random random, int shortest4, int shortest6) {
        if (random.nextInt(3) < 2) {
            int prefix = shortest4 + random.nextInt(33 - shortest4);
            long mask = prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
            long first = random.nextInt() & 0xFFFFFFFFL & mask;
            return Cidr.parse(new IpAddress(true, 0, first) + "/" + prefix);
        }
        int prefix = shortest6 + random.nextInt(129 - shortest6);
        long hiMask = prefix >= 64 ? -1L : -1L << (64 - prefix);
        long loMask = prefix <= 64 ? 0 : -1L << (128 - prefix);
        IpAddress first = new IpAddress(false, random.nextLong() & hiMask | 0x2000_0000_0000_0000L & hiMask, random.nextLong() & loMask);
        return Cidr.parse(first + "/" + prefix);
    }

    /** Any address, IPv4 two times in three. */
    static IpAddress address(Random random) {
        if (random.nextInt(3) < 2) {
            return new IpAddress(true, 0, random.nextInt() & 0xFFFFFFFFL);
        }
        return new IpAddress(false, random.nextLong() | 0x2000_0000_0000_0000L, random.nextLong());
    }

    /** An address inside {@code block}. */
    static IpAddress inside(Cidr block, Random random) {
        long spanHi = block.lastHi() ^ block.firstHi();
        long spanLo = block.lastLo() ^ block.firstLo();
        return new IpAddress(block.v4(), block.firstHi() | random.nextLong() & spanHi, block.firstLo() | random.nextLong() & spanLo);
    }

    static boolean covers(Cidr block, IpAddress a) {
        if (block.v4() != a.v4()) {
            return false;
        }
        int fromFirst = compare(a.hi(), a.lo(), block.firstHi(), block.firstLo());
        int toLast = compare(a.hi(), a.lo(), block.lastHi(), block.lastLo());
        return fromFirst >= 0 && toLast <= 0;
    }

    private static int compare(long aHi, long aLo, long bHi, long bLo) {
        int hi = Long.compareUnsigned(aHi, bHi);
        return hi != 0 ? hi : Long.compareUnsigned(aLo, bLo);
    }
}
