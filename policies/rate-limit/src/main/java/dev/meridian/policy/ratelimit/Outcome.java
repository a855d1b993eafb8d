package dev.meridian.policy.ratelimit;

import java.util.concurrent.CompletionStage;

/** What a count answered for one request. */
sealed interface Outcome {

    /** Admitted; {@code remaining} of the window's budget (an estimate in cluster scope), {@code secondsLeft} in the window. */
    record Admitted(long remaining, long secondsLeft) implements Outcome {
    }

    /** Refused until the window ends in {@code secondsLeft}. */
    record Limited(long secondsLeft) implements Outcome {
    }

    /** Known when a lease arrives from the cluster. */
    record Later(CompletionStage<Outcome> stage) implements Outcome {
    }
}
