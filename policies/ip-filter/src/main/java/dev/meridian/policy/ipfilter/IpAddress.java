package dev.meridian.policy.ipfilter;

record IpAddress(boolean v4, long hi, long lo) {
   private static final long MAPPED_PREFIX = 65535L;
   private static final long LOW_32 = 4294967295L;
   private static final int GROUPS = 8;
   private static final int GROUP_BITS = 16;
   private static final int MAX_GROUP = 65535;

   int bits() {
      return this.v4 ? 32 : 128;
   }

   static IpAddress parseClient(String s) {
      int from = 0;
      int to = s.length();
      if (to >= 2 && s.charAt(0) == '[' && s.charAt(to - 1) == ']') {
         from = 1;
         to--;
      }

      int zone = s.indexOf(37, from);
      if (zone >= 0 && zone < to) {
         to = zone;
      }

      return parse(s, from, to);
   }

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
      return v4 < 0L ? null : new IpAddress(true, 0L, v4);
   }

   static long parse4(CharSequence s, int from, int to) {
      long value = 0L;
      int parts = 0;
      int i = from;

      while (i <= to) {
         int start = i;
         int part = 0;

         while (i < to && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            part = part * 10 + (s.charAt(i) - '0');
            i++;
            if (part > 255) {
               return -1L;
            }
         }

         int digits = i - start;
         if (digits == 0 || digits > 1 && s.charAt(start) == '0') {
            return -1L;
         }

         value = value << 8 | part;
         parts++;
         if (i != to) {
            if (s.charAt(i) == '.' && parts != 4) {
               i++;
               continue;
            }

            return -1L;
         }
         break;
      }

      return parts == 4 ? value : -1L;
   }

   private static IpAddress parse6(CharSequence s, int from, int to) {
      long headHi = 0L;
      long headLo = 0L;
      long tailHi = 0L;
      long tailLo = 0L;
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

         boolean dotted = i < to && s.charAt(i) == '.';
         int count = 1;
         int second = 0;
         if (dotted || i < to && hex(s.charAt(i)) >= 0) {
            if (!dotted) {
               return null;
            }

            long quad = parse4(s, start, to);
            if (quad < 0L) {
               return null;
            }

            count = 2;
            group = (int)(quad >>> 16);
            second = (int)(quad & 65535L);
            i = to;
         }

         if (i == start || head + tail + count > 8) {
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
               return null;
            }

            gap = true;
            i++;
         } else if (i == to) {
            return null;
         }
      }

      if (gap ? head + tail <= 7 : head == 8) {
         for (int g = head; g < 8; g++) {
            headHi = headHi << 16 | headLo >>> 48;
            headLo <<= 16;
         }

         long hi = headHi | tailHi;
         long lo = headLo | tailLo;
         return hi == 0L && lo >>> 32 == 65535L ? new IpAddress(true, 0L, lo & 4294967295L) : new IpAddress(false, hi, lo);
      } else {
         return null;
      }
   }

   private static int hex(char c) {
      if (c >= '0' && c <= '9') {
         return c - 48;
      } else if (c >= 'a' && c <= 'f') {
         return c - 97 + 10;
      } else {
         return c >= 65 && c <= 70 ? c - 65 + 10 : -1;
      }
   }
}
