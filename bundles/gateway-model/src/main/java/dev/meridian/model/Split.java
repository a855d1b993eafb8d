package dev.meridian.model;

import java.util.List;
import java.util.Objects;

/**
 * An API's traffic split (CONTRACT §8): a sticky share of its requests goes to other
 * {@linkplain Shape shapes}, the rest stays on the main one (the definition's own upstream).
 *
 * <p>Each request's sticky key is hashed with the API id into one of {@link #BUCKETS} buckets;
 * the shapes of {@link #to} hold consecutive ranges from bucket 0 in list order (the first
 * {@code [0, w1)}, the second {@code [w1, w1 + w2)}, ...), main holds the rest. Raising a weight
 * grows the covered prefix, so no user ever moves from a shape back to main; raising the
 * <em>last</em> shape's weight (or adding a shape at the end) moves main users only.
 *
 * @param stickyBy what the key is read from
 * @param stickyName the header or cookie name for {@link StickyBy#HEADER} / {@link StickyBy#COOKIE},
 *     else {@code ""}
 * @param to the shapes and their shares, in bucket order; empty for {@link #NONE}
 */
public record Split(StickyBy stickyBy, String stickyName, List<Share> to) {

  /** Buckets of the key space: a weight is a whole number of basis points (0.01%). */
  public static final int BUCKETS = 10_000;

  /** No split: every request on the main shape. */
  public static final Split NONE = new Split(StickyBy.IP, "", List.of());

  /** Where the sticky key comes from. */
  public enum StickyBy {
    /** {@code PolicyRequest.CONSUMER} as the API's authentication policies set it. */
    CONSUMER,
    /** The client address (trusted proxies applied, CONTRACT §8). */
    IP,
    /** A request header's first value. */
    HEADER,
    /** A cookie's value; the gateway sets one with a random id when it is absent. */
    COOKIE
  }

  /**
   * One shape's share.
   *
   * @param shape a key of the definition's {@code shapes}
   * @param basisPoints 0..10000 (5% = 500, 0.5% = 50)
   */
  public record Share(String shape, int basisPoints) {
    public Share {
      Objects.requireNonNull(shape, "shape");
      if (basisPoints < 0 || basisPoints > BUCKETS) {
        throw new IllegalArgumentException("basisPoints out of range: " + basisPoints);
      }
    }
  }

  public Split {
    Objects.requireNonNull(stickyBy, "stickyBy");
    Objects.requireNonNull(stickyName, "stickyName");
    to = List.copyOf(to);
    int sum = to.stream().mapToInt(Share::basisPoints).sum();
    if (sum > BUCKETS) {
      throw new IllegalArgumentException("shares exceed 100%: " + sum + " basis points");
    }
    if ((stickyBy == StickyBy.HEADER || stickyBy == StickyBy.COOKIE) == stickyName.isEmpty()) {
      throw new IllegalArgumentException("stickyName is required for header and cookie, and only for them");
    }
  }

  public boolean isNone() {
    return to.isEmpty();
  }

  /** The {@code stickyBy} value as written: {@code consumer}, {@code ip}, {@code header:<Name>}, {@code cookie:<Name>}. */
  public String stickyByText() {
    String kind = stickyBy.name().toLowerCase(java.util.Locale.ROOT);
    return stickyName.isEmpty() ? kind : kind + ":" + stickyName;
  }

  /** A weight in its canonical form: {@code 5%}, {@code 0.5%}, {@code 12.25%}. */
  public static String formatWeight(int basisPoints) {
    int whole = basisPoints / 100;
    int frac = basisPoints % 100;
    if (frac == 0) {
      return whole + "%";
    }
    String f = frac % 10 == 0 ? Integer.toString(frac / 10) : String.format("%02d", frac);
    return whole + "." + f + "%";
  }
}
