package dev.meridian.manager;

import java.util.List;

import dev.meridian.model.Problem;

/** A refused admin call, with the HTTP status the admin API answers and every problem found. */
public final class AdminException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final List<Problem> details;

    public AdminException(int status, String message, List<Problem> details) {
        super(message);
        this.status = status;
        this.details = List.copyOf(details);
    }

    public AdminException(int status, String message) {
        this(status, message, List.of());
    }

    public int status() {
        return status;
    }

    public List<Problem> details() {
        return details;
    }
}
