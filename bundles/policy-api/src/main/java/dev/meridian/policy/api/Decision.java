package dev.meridian.policy.api;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * The explicit outcome of a policy phase: go on with the chain, stop it with a status, or
 * answer later. Instances of {@link #proceed()} are shared; rejections are immutable.
 */
public sealed interface Decision permits Decision.Proceed, Decision.Reject, Decision.Respond, Decision.Pending {

    /** Go on with the next policy (or the upstream call). */
    static Decision proceed() {
        return Proceed.INSTANCE;
    }

    /** Stop the chain and answer the client with {@code status} and {@code {"error": message}}. */
    static Decision reject(int status, String message) {
        return new Reject(status, message, Map.of());
    }

    /** As {@link #reject(int, String)}, with extra response headers (e.g. {@code Retry-After}). */
    static Decision reject(int status, String message, Map<String, String> headers) {
        return new Reject(status, message, Map.copyOf(headers));
    }

    /**
     * Stop the chain and answer the client with {@code status}, {@code headers} and no body
     * (e.g. a CORS preflight's 204). The upstream is not called; response phases run as for a
     * rejection.
     *
     * @since 1.2
     */
    static Decision respond(int status, Map<String, String> headers) {
        return new Respond(status, Map.copyOf(headers));
    }

    /**
     * The decision will be known when {@code stage} completes (for policies that do I/O). A
     * stage completed exceptionally counts as a 500 rejection, logged by the engine.
     */
    static Decision pending(CompletionStage<Decision> stage) {
        return new Pending(Objects.requireNonNull(stage, "stage"));
    }

    /** Go on. */
    final class Proceed implements Decision {
        static final Proceed INSTANCE = new Proceed();

        private Proceed() {
        }

        @Override
        public String toString() {
            return "proceed";
        }
    }

    /** Stop with a client-visible status (4xx or 5xx). */
    record Reject(int status, String message, Map<String, String> headers) implements Decision {
        public Reject {
            if (status < 400 || status > 599) {
                throw new IllegalArgumentException("reject status must be 4xx or 5xx: " + status);
            }
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(headers, "headers");
        }
    }

    /**
     * Answer without the upstream, with an empty body (any status 200-599 but 1xx; 4xx/5xx
     * carry no {@code {"error"}} body: use {@link Reject} for errors).
     *
     * @since 1.2
     */
    record Respond(int status, Map<String, String> headers) implements Decision {
        public Respond {
            if (status < 200 || status > 599) {
                throw new IllegalArgumentException("respond status must be 200-599: " + status);
            }
            Objects.requireNonNull(headers, "headers");
        }
    }

    /** Answer later. */
    record Pending(CompletionStage<Decision> stage) implements Decision {
    }
}
