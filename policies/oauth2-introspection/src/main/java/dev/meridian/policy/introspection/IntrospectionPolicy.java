package dev.meridian.policy.introspection;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;

/**
 * Admits requests whose bearer token the IdP calls active (RFC 7662), with the required scopes
 * and not revoked. A token held by the cluster is decided on the request thread from this node's
 * near cache, without a call; otherwise the decision is {@link Decision#pending pending} on
 * {@link SharedLookup}, which asks the IdP once for the whole cluster.
 *
 * <p>Answers: 401 with {@code WWW-Authenticate: Bearer realm="meridian"} without a token (plus
 * {@code error="invalid_token"} for a malformed, unknown, inactive, expired or revoked one, RFC
 * 6750 §3), 403 {@code insufficient_scope}, 503 with {@code Retry-After} when the IdP fails and
 * nothing is held.
 */
final class IntrospectionPolicy implements Policy {

    private static final Logger LOG = LoggerFactory.getLogger(IntrospectionPolicy.class);
    private static final long LOG_EVERY_MILLIS = 10_000;
    private static final String REALM = "Bearer realm=\"meridian\"";

    private final IntrospectionConfig config;
    private final SharedLookup lookup;
    private final RevocationView revocations;
    private final Clock clock;
    /** Answers are per IdP and client: two configurations never share one another's answers. */
    private final String keySuffix;
    private final Decision missing;
    private final Decision invalid;
    private final Decision insufficient;
    private final Decision unavailable;
    /** When the last IdP failure was logged: an outage is logged every 10 s, not per request. */
    private final AtomicLong lastFailureLog = new AtomicLong(Long.MIN_VALUE / 2);

    IntrospectionPolicy(IntrospectionConfig config, SharedLookup lookup, RevocationView revocations, Clock clock) {
        this.config = config;
        this.lookup = lookup;
        this.revocations = revocations;
        this.clock = clock;
        this.keySuffix = "@" + BearerToken.sha256(config.url() + "\n" + config.clientId()).substring(0, 16);
        this.missing = Decision.reject(401, "missing bearer token", Map.of("WWW-Authenticate", REALM));
        this.invalid = Decision.reject(401, "invalid token", Map.of("WWW-Authenticate", REALM + ", error=\"invalid_token\""));
        this.insufficient = Decision.reject(403, "insufficient scope", Map.of("WWW-Authenticate",
            REALM + ", error=\"insufficient_scope\", scope=\"" + String.join(" ", config.requiredScopes()) + "\""));
        this.unavailable = Decision.reject(503, "token introspection unavailable", Map.of("Retry-After", "1"));
    }

    @Override
    public Decision onRequest(PolicyRequest request) {
        Optional<String> authorization = request.header("Authorization");
        Optional<String> token = BearerToken.from(authorization);
        if (token.isEmpty()) {
            return BearerToken.isBearer(authorization) ? invalid : missing;
        }
        String hash = BearerToken.sha256(token.get());
        String key = hash + keySuffix;
        Optional<Revocations> revoked = revocations.peek();
        Optional<TokenInfo> held = lookup.peek(key);
        if (revoked.isPresent() && held.isPresent() && revoked.get().check(hash, held.get()) != Revocations.Verdict.ASK_AGAIN) {
            return decide(request, hash, held.get(), revoked.get());
        }
        CompletionStage<Revocations> list = revoked.<CompletionStage<Revocations>>map(CompletableFuture::completedFuture)
            .orElseGet(revocations::load);
        CompletionStage<Decision> decided = list.thenCompose(r -> {
            CompletionStage<TokenInfo> info = held.filter(i -> r.check(hash, i) != Revocations.Verdict.ASK_AGAIN)
                .<CompletionStage<TokenInfo>>map(CompletableFuture::completedFuture)
                .orElseGet(() -> lookup.lookup(key, token.get(), held.map(r::revokedAt).orElse(Long.MIN_VALUE)));
            return info.thenApply(i -> decide(request, hash, i, r));
        });
        return Decision.pending(decided.exceptionally(this::failed));
    }

    private Decision decide(PolicyRequest request, String hash, TokenInfo info, Revocations revoked) {
        // ASK_AGAIN here means the IdP's fresh answer still predates the revocation (clock skew): refuse
        if (!info.active() || info.expired(clock.millis()) || revoked.check(hash, info) != Revocations.Verdict.KEEP) {
            return invalid;
        }
        if (!info.hasScopes(config.requiredScopes())) {
            return insufficient;
        }
        info.consumer(config.consumerClaim()).ifPresent(c -> request.attributes().put(PolicyRequest.CONSUMER, c));
        return Decision.proceed();
    }

    private Decision failed(Throwable e) {
        long now = clock.millis();
        long last = lastFailureLog.get();
        if (now - last >= LOG_EVERY_MILLIS && lastFailureLog.compareAndSet(last, now)) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            LOG.warn("oauth2-introspection at {} (client '{}'): introspection failed, answering 503 for tokens not held: {}",
                config.url(), config.clientId(), cause.toString());
        }
        return unavailable;
    }
}
