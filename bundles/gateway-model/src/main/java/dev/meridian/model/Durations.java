package dev.meridian.model;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations in the contract's short form: {@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h}. */
public final class Durations {

  private static final Pattern FORM = Pattern.compile("(\\d{1,18})(ms|s|m|h)");
  private static final long SECONDS_PER_HOUR = 3600;
  private static final long SECONDS_PER_MINUTE = 60;

  private Durations() {}

  /**
   * Parses a whole number followed by one unit ({@code ms}, {@code s}, {@code m}, {@code h}),
   * e.g. {@code "0s"}, {@code "250ms"}.
   *
   * @throws IllegalArgumentException for anything else, including {@code null}
   */
  public static Duration parse(String s) {
    Matcher m = s == null ? null : FORM.matcher(s);
    if (m == null || !m.matches()) {
      throw new IllegalArgumentException("expected a duration such as 250ms, 30s, 5m or 1h: " + s);
    }
    long amount = Long.parseLong(m.group(1));
    try {
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        default -> Duration.ofHours(amount);
      };
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("duration too large: " + s, e);
    }
  }

  /**
   * The shortest exact short form: the largest unit that divides the duration, {@code "0s"} for
   * zero.
   *
   * @throws IllegalArgumentException for a negative duration or one finer than a millisecond
   */
  public static String format(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("negative duration: " + d);
    }
    if (d.getNano() % 1_000_000 != 0) {
      throw new IllegalArgumentException("duration finer than a millisecond: " + d);
    }
    if (d.getNano() != 0) {
      try {
        return d.toMillis() + "ms";
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("duration too large: " + d, e);
      }
    }
    long seconds = d.getSeconds();
    if (seconds == 0) {
      return "0s";
    }
    if (seconds % SECONDS_PER_HOUR == 0) {
      return seconds / SECONDS_PER_HOUR + "h";
    }
    if (seconds % SECONDS_PER_MINUTE == 0) {
      return seconds / SECONDS_PER_MINUTE + "m";
    }
    return seconds + "s";
  }
}
