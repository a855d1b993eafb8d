package dev.meridian.model;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An upstream URL checked and put in canonical form (CONTRACT §3): {@code http} or {@code https},
 * a host, no user info, query or fragment; lower-case scheme and host, no default port, no
 * trailing slash. The definition parser checks {@code upstream.url} with it, and the engine checks
 * again the URL a {@code ${secret:NAME}} reference resolves to on each node.
 *
 * <p>Messages say what is wrong with the URL and never quote it (part of it may be a secret's
 * value).
 *
 * @param uri the canonical URL
 * @param scheme {@code http} or {@code https}
 * @param host lower case ({@code [..]} for IPv6)
 * @param port the explicit port, or 80/443 by scheme
 * @param path the raw path without trailing slash, {@code ""} for the root
 */
public record UpstreamUrl(URI uri, String scheme, String host, int port, String path) {

  /** {@code ${secret:NAME}} in an upstream URL (CONTRACT §9): NAME as the secrets directory allows. */
  public static final Pattern REFERENCE = Pattern.compile("\\$\\{secret:([A-Za-z0-9._-]{1,128})}");
  /**
   * What a reference stands for while a URL that holds one is checked before it is resolved: a
   * host name that never resolves (RFC 2606 {@code .invalid}) and a valid path segment.
   */
  public static final String STAND_IN = "secret.invalid";
  private static final Pattern LITERAL_SCHEME = Pattern.compile("(?i)^https?://");

  /**
   * Parses {@code url}.
   *
   * @throws IllegalArgumentException what is wrong, without quoting the URL
   */
  public static UpstreamUrl parse(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a valid URL: " + e.getReason() + " at index " + e.getIndex());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("must be an absolute http or https URL");
    }
    if (uri.isOpaque() || uri.getRawAuthority() == null) {
      throw new IllegalArgumentException("must have a host");
    }
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException("must not contain user info");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("must have a valid host name");
    }
    if (uri.getRawQuery() != null) {
      throw new IllegalArgumentException("must not have a query");
    }
    if (uri.getRawFragment() != null) {
      throw new IllegalArgumentException("must not have a fragment");
    }
    int defaultPort = scheme.equals("http") ? 80 : 443;
    int port = uri.getPort() < 0 ? defaultPort : uri.getPort();
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be between 1 and 65535");
    }
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    String rawPath = stripTrailingSlashes(uri.getRawPath() == null ? "" : uri.getRawPath());
    String canonical = scheme + "://" + host + (port == defaultPort ? "" : ":" + port) + rawPath;
    try {
      return new UpstreamUrl(new URI(canonical), scheme, host, port, rawPath);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a valid URL: " + e.getReason());
    }
  }

  /**
   * Checks a URL that holds {@code ${secret:NAME}} references in its host or path: the scheme
   * written out, every reference well formed, and the URL valid with each reference standing for
   * a host name or path segment ({@value #STAND_IN}). Returns the template as stored: scheme in
   * lower case, trailing slashes dropped. The engine resolves it and {@linkplain #parse parses}
   * the result on each node.
   *
   * @throws IllegalArgumentException what is wrong, without quoting the URL
   */
  public static String checkTemplate(String template) {
    Matcher scheme = LITERAL_SCHEME.matcher(template);
    if (!scheme.find() || template.indexOf("${secret:") < scheme.end()) {
      throw new IllegalArgumentException("a URL with ${secret:NAME} must start with http:// or https:// written out");
    }
    String rest = template.substring(scheme.end());
    String withoutReferences = REFERENCE.matcher(rest).replaceAll("");
    if (withoutReferences.contains("${")) {
      throw new IllegalArgumentException("a reference is written ${secret:NAME}, NAME of 1-128 of A-Z a-z 0-9 . _ -");
    }
    if (withoutReferences.contains("?") || withoutReferences.contains("#") || rest.indexOf('@') >= 0) {
      // checked here too: the stand-in parse below would name a position in the stand-in, not in the URL
      throw new IllegalArgumentException("must not have a query, a fragment or user info");
    }
    parse(scheme.group().toLowerCase(Locale.ROOT) + REFERENCE.matcher(rest).replaceAll(STAND_IN));
    return scheme.group().toLowerCase(Locale.ROOT) + stripTrailingSlashes(rest);
  }

  /** Whether {@code url} holds a {@code ${secret:} reference (well formed or not). */
  public static boolean mentionsSecret(String url) {
    return url.contains("${secret:");
  }

  private static String stripTrailingSlashes(String s) {
    int end = s.length();
    while (end > 0 && s.charAt(end - 1) == '/') {
      end--;
    }
    return s.substring(0, end);
  }
}
