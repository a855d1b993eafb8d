package dev.meridian.policy.ipfilter;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

final class CidrSet {
   private static final Comparator<Cidr> BY_FIRST = (a, b) -> {
      int hi = Long.compareUnsigned(a.firstHi(), b.firstHi());
      return hi != 0 ? hi : Long.compareUnsigned(a.firstLo(), b.firstLo());
   };
   private final CidrSet.Ranges v4;
   private final CidrSet.Ranges v6;
   private final int blocks;

   CidrSet(List<Cidr> cidrs) {
      List<Cidr> four = new ArrayList<>();
      List<Cidr> six = new ArrayList<>();

      for (Cidr cidr : cidrs) {
         (cidr.v4() ? four : six).add(cidr);
      }

      this.v4 = new CidrSet.Ranges(four);
      this.v6 = new CidrSet.Ranges(six);
      this.blocks = cidrs.size();
   }

   boolean contains(IpAddress address) {
      return (address.v4() ? this.v4 : this.v6).contains(address.hi(), address.lo());
   }

   int blocks() {
      return this.blocks;
   }

   private static final class Ranges {
      private final long[] firstHi;
      private final long[] firstLo;
      private final long[] lastHi;
      private final long[] lastLo;

      Ranges(List<Cidr> cidrs) {
         List<Cidr> sorted = new ArrayList<>(cidrs);
         sorted.sort(CidrSet.BY_FIRST);
         List<Cidr> merged = new ArrayList<>();

         for (Cidr next : sorted) {
            Cidr last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last == null || compare(next.firstHi(), next.firstLo(), last.lastHi(), last.lastLo()) > 0) {
               merged.add(next);
            } else if (compare(next.lastHi(), next.lastLo(), last.lastHi(), last.lastLo()) > 0) {
               merged.set(merged.size() - 1, new Cidr(last.v4(), last.firstHi(), last.firstLo(), next.lastHi(), next.lastLo()));
            }
         }

         int n = merged.size();
         this.firstHi = new long[n];
         this.firstLo = new long[n];
         this.lastHi = new long[n];
         this.lastLo = new long[n];

         for (int i = 0; i < n; i++) {
            Cidr range = merged.get(i);
            this.firstHi[i] = range.firstHi();
            this.firstLo[i] = range.firstLo();
            this.lastHi[i] = range.lastHi();
            this.lastLo[i] = range.lastLo();
         }
      }

      boolean contains(long hi, long lo) {
         int low = 0;
         int high = this.firstHi.length - 1;
         int candidate = -1;

         while (low <= high) {
            int mid = low + high >>> 1;
            if (compare(this.firstHi[mid], this.firstLo[mid], hi, lo) <= 0) {
               candidate = mid;
               low = mid + 1;
            } else {
               high = mid - 1;
            }
         }

         return candidate >= 0 && compare(hi, lo, this.lastHi[candidate], this.lastLo[candidate]) <= 0;
      }

      private static int compare(long aHi, long aLo, long bHi, long bLo) {
         int hi = Long.compareUnsigned(aHi, bHi);
         return hi != 0 ? hi : Long.compareUnsigned(aLo, bLo);
      }
   }
}
