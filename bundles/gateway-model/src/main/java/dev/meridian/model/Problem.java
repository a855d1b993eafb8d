package dev.meridian.model;

import java.util.Objects;

/**
 * One thing wrong with a definition.
 *
 * @param path where: {@code "upstream.url"}, {@code "policies[1].type"}, {@code ""} for the
 *     document root; inside a set the element index comes first, e.g. {@code "[2].basePath"}
 * @param message what, e.g. {@code "expected a string"}
 */
public record Problem(String path, String message) {

  public Problem {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(message, "message");
  }

  /** {@code "path: message"}, or just the message at the document root. */
  public String describe() {
    return path.isEmpty() ? message : path + ": " + message;
  }
}
