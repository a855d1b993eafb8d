package dev.meridian.policy.ipfilter;

record Cidr(boolean v4, long firstHi, long firstLo, long lastHi, long lastLo) {
   static Cidr parse(String text) {
      int slash = text.indexOf(47);
      IpAddress address = IpAddress.parse(text, 0, slash < 0 ? text.length() : slash);
      if (address == null) {
         throw new IllegalArgumentException("not a CIDR or an IP address (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)");
      }

      int written = slash < 0 ? (text.indexOf(58) >= 0 ? 128 : 32) : prefix(text, slash + 1);
      int prefix = written;
      if (address.v4() && text.indexOf(58) >= 0) {
         if (written < 96) {
            throw new IllegalArgumentException("an IPv4-mapped block needs a prefix of at least /96");
         }

         prefix = written - 96;
      }

      if (prefix < 0 || prefix > address.bits()) {
         throw new IllegalArgumentException("prefix length out of range: 0 to " + address.bits());
      } else if (address.v4()) {
         long hostMask = prefix == 0 ? 4294967295L : (1L << 32 - prefix) - 1L;
         requireNoHostBits(address.lo() & hostMask);
         return new Cidr(true, 0L, address.lo(), 0L, address.lo() | hostMask);
      } else {
         long hiMask = prefix >= 64 ? 0L : (prefix == 0 ? -1L : -1L >>> prefix);
         long loMask = prefix <= 64 ? -1L : (prefix == 128 ? 0L : -1L >>> prefix - 64);
         requireNoHostBits(address.hi() & hiMask | address.lo() & loMask);
         return new Cidr(false, address.hi(), address.lo(), address.hi() | hiMask, address.lo() | loMask);
      }
   }

   private static int prefix(String text, int from) {
      int to = text.length();
      if (from != to && to - from <= 3) {
         int value = 0;

         for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
               throw new IllegalArgumentException("prefix length must be a number after '/'");
            }

            value = value * 10 + (c - '0');
         }

         return value;
      } else {
         throw new IllegalArgumentException("prefix length must be a number after '/'");
      }
   }

   private static void requireNoHostBits(long hostBits) {
      if (hostBits != 0L) {
         throw new IllegalArgumentException("host bits set after the prefix (write the block's first address)");
      }
   }
}
