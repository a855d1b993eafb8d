package dev.meridian.model;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/** A definition that could not be read ({@link Kind#MALFORMED}) or is not valid ({@link Kind#INVALID}). */
public final class DefinitionException extends Exception {

  public enum Kind {
    /** Not parseable YAML/JSON, or the wrong top-level shape (HTTP 400). */
    MALFORMED,
    /** Parseable, but breaks the definition schema (HTTP 422). */
    INVALID
  }

  private final Kind kind;
  private final List<Problem> problems;

  public DefinitionException(Kind kind, List<Problem> problems) {
    super(describe(problems));
    this.kind = Objects.requireNonNull(kind, "kind");
    this.problems = List.copyOf(problems);
  }

  /** A single problem. */
  public DefinitionException(Kind kind, String path, String message) {
    this(kind, List.of(new Problem(path, message)));
  }

  public Kind kind() {
    return kind;
  }

  /** Every problem found, in document order. */
  public List<Problem> problems() {
    return problems;
  }

  private static String describe(List<Problem> problems) {
    return problems.stream().map(Problem::describe).collect(Collectors.joining("; "));
  }
}
