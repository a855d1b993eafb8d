package dev.meridian.model;

/**
 * Byte sizes in the contract's short form: a whole number of bytes ({@code 1048576}) or a whole
 * number with a binary unit suffix, {@code k} (KiB), {@code m} (MiB) or {@code g} (GiB): {@code
 * 64m} is 64 MiB. Used by {@code cache.maxBytes} and {@code MERIDIAN_CACHE_LOCAL_BYTES}.
 */
public final class Sizes {

  private static final long KIB = 1024;
  private static final long MIB = KIB * 1024;
  private static final long GIB = MIB * 1024;
  private static final int MAX_DIGITS = 19;

  private Sizes() {}

  /**
   * Parses digits optionally followed by one lower-case unit, {@code k}, {@code m} or {@code g},
   * e.g. {@code "512"}, {@code "64k"}, {@code "64m"}, {@code "1g"}.
   *
   * @return the number of bytes, never negative
   * @throws IllegalArgumentException for anything else (signs, spaces, fractions, other or
   *     upper-case units, {@code null}) or a size beyond {@link Long#MAX_VALUE} bytes
   */
  public static long parse(String s) {
    if (s == null || s.isEmpty()) {
      throw invalid(s);
    }
    int end = s.length();
    long unit = switch (s.charAt(end - 1)) {
      case 'k' -> KIB;
      case 'm' -> MIB;
      case 'g' -> GIB;
      default -> 1;
    };
    int digits = unit == 1 ? end : end - 1;
    if (digits == 0 || digits > MAX_DIGITS) {
      throw invalid(s);
    }
    for (int i = 0; i < digits; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        throw invalid(s);
      }
    }
    try {
      return Math.multiplyExact(Long.parseLong(s, 0, digits, 10), unit);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("size too large: " + s, e);
    }
  }

  /**
   * The shortest exact short form: the size in the largest unit that divides it ({@code
   * 67108864} is {@code "64m"}, {@code 3072} is {@code "3k"}), plain bytes when none does
   * ({@code 1536} is {@code "1536"}), {@code "0"} for zero. {@link #parse} reads it back.
   *
   * @throws IllegalArgumentException for a negative size
   */
  public static String format(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("negative size: " + bytes);
    }
    if (bytes == 0) {
      return "0";
    }
    if (bytes % GIB == 0) {
      return bytes / GIB + "g";
    }
    if (bytes % MIB == 0) {
      return bytes / MIB + "m";
    }
    if (bytes % KIB == 0) {
      return bytes / KIB + "k";
    }
    return Long.toString(bytes);
  }

  private static IllegalArgumentException invalid(String s) {
    return new IllegalArgumentException(
        "expected a size such as 64m: bytes, or a whole number of k, m or g: " + s);
  }
}
