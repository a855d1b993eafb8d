package dev.meridian.policy.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * One compiled policy instance: the configuration of one entry of an API definition's
 * {@code policies} list, validated once and shared by every request of the revisions that use it.
 *
 * <p><b>Threading.</b> Called concurrently from many request threads (and from I/O threads for
 * the response phase). Implementations must be thread-safe; keep configuration in final fields
 * and per-request state in {@link PolicyRequest#attributes()}.
 *
 * <p><b>Blocking.</b> Never block: no I/O, no locks held across calls, no sleeping. A policy
 * that needs I/O returns {@link Decision#pending(java.util.concurrent.CompletionStage)} and
 * completes the stage from its own callback.
 *
 * <p><b>Order.</b> Request phases run sorted by {@link #order()}, definition order among equals
 * (so {@link #ORDER_EDGE} policies such as CORS run first); response phases in reverse of that,
 * and only for the policies whose request phase ran. A request and its response always run on
 * the same instance, even when a newer revision is published in between.
 *
 * <pre>{@code
 * // GOOD: configuration immutable, decision returned
 * public Decision onRequest(PolicyRequest req) {
 *     return req.header("X-Api-Key").filter(keys::contains).isPresent()
 *             ? Decision.proceed() : Decision.reject(401, "missing or unknown API key");
 * }
 * // BAD: shared mutable state, blocking call on the request thread
 * public Decision onRequest(PolicyRequest req) {
 *     lastSeen = req.path();                       // data race
 *     keys = httpClient.send(...).body();          // blocks an event-loop thread
 *     return Decision.proceed();
 * }
 * }</pre>
 */
@ConsumerType
public interface Policy {

    /** {@link #order()} of a policy that must see every request first (CORS: preflight before authentication). */
    int ORDER_EDGE = -1000;

    /**
     * Where this policy runs in its chain, whatever its place in the definition: chains run by
     * ascending order, definition order among equals. Almost every policy keeps the default 0;
     * {@link #ORDER_EDGE} is for policies that answer before authentication (a CORS preflight
     * carries no credentials, Kong #4423). Read once when a revision is compiled.
     *
     * @since 1.2
     */
    default int order() {
        return 0;
    }

    /** Request phase. The default proceeds without changes. */
    default Decision onRequest(PolicyRequest request) {
        return Decision.proceed();
    }

    /**
     * Response phase, on the upstream's response or on a rejection produced by a later
     * policy. Only headers and status can be changed here. The default proceeds.
     */
    default Decision onResponse(PolicyRequest request, PolicyResponse response) {
        return Decision.proceed();
    }
}
