package dev.meridian.model;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a change is canaried (CONTRACT §8, {@code ?canary=5%[&stickyBy=…][&window=5m]
 * [&maxErrorRate=+1pp][&maxP99=1.2x][&minRequests=50]}): the share of requests the new revision
 * serves, what keeps a client on its side, and the limits whose breach over the window rolls it
 * back.
 *
 * <p>The same parameters, written by {@link #toParams()}, are stored in the canary's revision, so
 * every node reads them as the caller wrote them.
 *
 * @param basisPoints the canary's share, 1..9999 (5% = 500): a canary of 0% or 100% is no canary
 * @param stickyBy {@link Split.StickyBy#IP}, {@link Split.StickyBy#HEADER} or {@link Split.StickyBy#COOKIE}:
 *     a canary picks the revision before any policy runs (the revision's own policies identify the
 *     consumer), so {@code consumer} is refused
 * @param stickyName the header or cookie name, else {@code ""}
 * @param window the sliding window the limits are checked over, 10s..1h
 * @param maxErrorRatePoints how many percentage points the canary's 5xx rate may exceed the stable side's
 * @param maxP99Ratio how many times the stable side's p99 the canary's may reach
 * @param minRequests canary requests in the window before its error rate is judged (the p99 needs 100 on each side)
 */
public record CanaryPolicy(int basisPoints, Split.StickyBy stickyBy, String stickyName, Duration window,
                           double maxErrorRatePoints, double maxP99Ratio, int minRequests) {

  /** The query parameters a canary call reads. */
  public static final Set<String> PARAMS = Set.of("canary", "stickyBy", "window", "maxErrorRate", "maxP99", "minRequests");

  private static final Pattern SHARE = Pattern.compile("([0-9]{1,2})(?:\\.([0-9]{1,2}))?%");
  private static final Pattern POINTS = Pattern.compile("\\+?([0-9]{1,2}(?:\\.[0-9]{1,2})?)pp");
  private static final Pattern RATIO = Pattern.compile("([0-9]{1,3}(?:\\.[0-9]{1,2})?)x");
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}");
  private static final Duration MIN_WINDOW = Duration.ofSeconds(10);
  private static final Duration MAX_WINDOW = Duration.ofHours(1);

  public CanaryPolicy {
    Objects.requireNonNull(stickyBy, "stickyBy");
    Objects.requireNonNull(stickyName, "stickyName");
    Objects.requireNonNull(window, "window");
    if (basisPoints < 1 || basisPoints >= Split.BUCKETS) {
      throw new IllegalArgumentException("share out of range: " + basisPoints + " basis points");
    }
    if (stickyBy == Split.StickyBy.CONSUMER) {
      throw new IllegalArgumentException("a canary cannot be sticky by consumer");
    }
  }

  /**
   * The policy given by {@code params} (a call's query parameters; those not in {@link #PARAMS}
   * are ignored), or null when there is no {@code canary} parameter.
   *
   * @throws DefinitionException (invalid, 422) naming each bad parameter
   */
  public static CanaryPolicy parse(Map<String, String> params) throws DefinitionException {
    String share = params.get("canary");
    if (share == null) {
      return null;
    }
    List<Problem> problems = new ArrayList<>();
    int bp = 0;
    Matcher m = SHARE.matcher(share.trim());
    if (m.matches()) {
      String frac = m.group(2) == null ? "0" : m.group(2);
      bp = Integer.parseInt(m.group(1)) * 100 + Integer.parseInt(frac.length() == 1 ? frac + "0" : frac);
    }
    if (bp < 1) {
      problems.add(new Problem("canary", "expected a share such as 5% or 0.5%, above 0% and below 100%: " + shown(share)));
    }
    Split.StickyBy by = Split.StickyBy.IP;
    String name = "";
    String sticky = params.getOrDefault("stickyBy", "ip");
    if (sticky.equals("ip")) {
      by = Split.StickyBy.IP;
    } else if ((sticky.startsWith("header:") || sticky.startsWith("cookie:")) && TOKEN.matcher(sticky.substring(7)).matches()) {
      by = sticky.startsWith("header:") ? Split.StickyBy.HEADER : Split.StickyBy.COOKIE;
      name = sticky.substring(7);
    } else if (sticky.equals("consumer")) {
      problems.add(new Problem("stickyBy", "a canary chooses the revision before any policy runs, so it cannot be sticky by"
          + " consumer: use header:Authorization (or the API key's header), ip or cookie:<Name>"));
    } else {
      problems.add(new Problem("stickyBy", "expected ip, header:<Name> or cookie:<Name>: " + shown(sticky)));
    }
    Duration window = Duration.ofMinutes(5);
    String w = params.get("window");
    if (w != null) {
      try {
        window = Durations.parse(w);
        if (window.compareTo(MIN_WINDOW) < 0 || window.compareTo(MAX_WINDOW) > 0) {
          problems.add(new Problem("window", "expected a duration from 10s to 1h: " + shown(w)));
        }
      } catch (IllegalArgumentException e) {
        problems.add(new Problem("window", "expected a duration from 10s to 1h such as 30s or 5m: " + shown(w)));
      }
    }
    double points = 1.0;
    String e = params.get("maxErrorRate");
    if (e != null) {
      Matcher pm = POINTS.matcher(e.trim());
      if (pm.matches()) {
        points = Double.parseDouble(pm.group(1));
      } else {
        problems.add(new Problem("maxErrorRate", "expected percentage points above the stable side's rate such as +1pp or"
            + " +0.5pp: " + shown(e)));
      }
    }
    double ratio = 1.2;
    String p = params.get("maxP99");
    if (p != null) {
      Matcher rm = RATIO.matcher(p.trim());
      if (rm.matches() && Double.parseDouble(rm.group(1)) >= 1.0) {
        ratio = Double.parseDouble(rm.group(1));
      } else {
        problems.add(new Problem("maxP99", "expected a ratio to the stable side's p99 of at least 1x such as 1.2x: "
            + shown(p)));
      }
    }
    int min = 50;
    String n = params.get("minRequests");
    if (n != null) {
      try {
        min = Integer.parseInt(n.trim());
      } catch (NumberFormatException x) {
        min = -1;
      }
      if (min < 1 || min > 1_000_000) {
        problems.add(new Problem("minRequests", "expected a whole number from 1 to 1000000: " + shown(n)));
      }
    }
    if (!problems.isEmpty()) {
      throw new DefinitionException(DefinitionException.Kind.INVALID, problems);
    }
    return new CanaryPolicy(bp, by, name, window, points, ratio, min);
  }

  /** The parameters as {@link #parse} reads them, canonical. */
  public Map<String, String> toParams() {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("canary", share());
    out.put("stickyBy", stickyByText());
    out.put("window", Durations.format(window));
    out.put("maxErrorRate", "+" + number(maxErrorRatePoints) + "pp");
    out.put("maxP99", number(maxP99Ratio) + "x");
    out.put("minRequests", Integer.toString(minRequests));
    return out;
  }

  /** The share as written: {@code 5%}, {@code 0.5%}. */
  public String share() {
    return Split.formatWeight(basisPoints);
  }

  /** {@code ip}, {@code header:<Name>} or {@code cookie:<Name>}. */
  public String stickyByText() {
    String kind = stickyBy.name().toLowerCase(Locale.ROOT);
    return stickyName.isEmpty() ? kind : kind + ":" + stickyName;
  }

  /** One line for logs, the audit and the shell: {@code 5% sticky by ip, window 5m, limits +1pp errors and 1.2x p99}. */
  public String describe() {
    Map<String, String> p = toParams();
    return p.get("canary") + " sticky by " + p.get("stickyBy") + ", window " + p.get("window") + ", limits "
        + p.get("maxErrorRate") + " errors and " + p.get("maxP99") + " p99 (from " + minRequests + " requests)";
  }

  private static String number(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : String.valueOf(d);
  }

  /** A caller's value in a message: at most 40 characters, printable ASCII only. */
  private static String shown(String s) {
    StringBuilder b = new StringBuilder("'");
    for (int i = 0; i < s.length() && i < 40; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return b.append(s.length() > 40 ? "…'" : "'").toString();
  }
}
