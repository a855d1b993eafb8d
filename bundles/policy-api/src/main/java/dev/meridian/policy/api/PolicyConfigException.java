package dev.meridian.policy.api;

import java.util.List;

/** A policy configuration was rejected; carries every problem found, each with its field path. */
public final class PolicyConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    /** One invalid field: {@code path} relative to the policy entry, e.g. {@code request.set}. */
    public record Problem(String path, String message) {
    }

    private final List<Problem> problems;

    public PolicyConfigException(List<Problem> problems) {
        super(problems.isEmpty() ? "invalid configuration" : problems.get(0).path() + ": " + problems.get(0).message());
        this.problems = List.copyOf(problems);
    }

    public PolicyConfigException(String path, String message) {
        this(List.of(new Problem(path, message)));
    }

    public List<Problem> problems() {
        return problems;
    }
}
