package dev.meridian.core;

import java.util.List;

import dev.meridian.model.Problem;

/** A state cannot be compiled on this node: every problem, with paths such as {@code [orders].policies[0].request}. */
public final class ValidationException extends Exception {

    private static final long serialVersionUID = 1L;

    private final List<Problem> problems;

    public ValidationException(List<Problem> problems) {
        super(problems.isEmpty() ? "invalid" : problems.get(0).path() + ": " + problems.get(0).message());
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
        return problems;
    }
}
