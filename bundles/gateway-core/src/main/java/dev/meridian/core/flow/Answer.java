package dev.meridian.core.flow;

import java.util.Map;

/**
 * What a request is answered with, as the steps decide it. Exactly one answer is current per
 * exchange ({@link Exchange#answer()}); a later step may replace it (a response policy rejecting,
 * the cache answering for a failed upstream), never two at once.
 */
public sealed interface Answer {

    int status();

    /**
     * The upstream's answer: its header fields (the response phase may change them) and its body,
     * streamed to the client by the data plane.
     */
    record Upstream(int status, Fields headers, Body body) implements Answer {
    }

    /**
     * An answer held in memory, from the cache: its stored fields, its body, and its age
     * (RFC 9111 §4.2.3; the data plane writes {@code Age}). For {@code HEAD} the body is not sent.
     */
    record Stored(int status, Fields headers, byte[] body, long ageMillis) implements Answer {
    }

    /**
     * A policy's answer without the upstream ({@code Decision.respond}): {@code status},
     * {@code headers} and an empty body, e.g. a CORS preflight's 204 with its
     * {@code Access-Control-*} fields. Never cached (the cache does not look up an exchange
     * answered before it). As for a {@link Rejection}, fields the response phase adds are
     * {@link Exchange#rejectionFields()}, written after {@code headers} (replacing a name both set).
     */
    record Respond(int status, Map<String, String> headers) implements Answer {
        public Respond {
            headers = Map.copyOf(headers);
        }
    }

    /** The gateway's own answer (a policy, a limit, an upstream failure): a small JSON error. */
    record Rejection(int status, String message, Map<String, String> headers) implements Answer {
        public Rejection {
            headers = Map.copyOf(headers);
        }

        public Rejection(int status, String message) {
            this(status, message, Map.of());
        }
    }
}
