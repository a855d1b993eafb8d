package dev.meridian.policy.jwt;

import java.text.ParseException;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.SignedJWT;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;

/**
 * One {@code jwt} entry: takes the bearer token of {@code Authorization} (RFC 6750 §2.1), and
 * proceeds with the consumer in {@link PolicyRequest#CONSUMER} or rejects with a challenge.
 *
 * <p>Never blocks the request thread: a token seen before is answered from
 * {@link VerifiedTokens}, a token whose key this node holds is verified at once, and only a
 * token with an unknown {@code kid} (the first request, a rotation, a forgery) waits, as a
 * {@link Decision#pending pending} decision, for {@link KeySource#awaitKey} (at most
 * {@link KeySource#MAX_WAITERS} at once per node; beyond, an unknown kid is refused at once).
 */
final class JwtPolicy implements Policy {

    private static final String BEARER = "Bearer ";

    private final JwtConfig config;
    private final KeySource keys;
    private final TokenCheck check;
    private final Clock clock;
    private final VerifiedTokens accepted = new VerifiedTokens();

    JwtPolicy(JwtConfig config, KeySource keys, Clock clock) {
        this.config = config;
        this.keys = keys;
        this.check = new TokenCheck(config);
        this.clock = clock;
    }

    @Override
    public Decision onRequest(PolicyRequest request) {
        String authorization = request.header("Authorization").orElse(null);
        if (authorization == null) {
            return Challenge.missing();
        }
        if (!authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Challenge.invalid("expected a Bearer token");
        }
        String token = authorization.substring(BEARER.length()).trim();
        KeySnapshot snapshot = keys.current();
        long now = clock.millis();
        VerifiedTokens.Verified known = snapshot == null ? null : accepted.find(token, snapshot, now);
        if (known != null) {
            request.attributes().put(PolicyRequest.CONSUMER, known.consumer());
            return Decision.proceed();
        }

        SignedJWT jwt;
        try {
            // a JWE or an unsecured ("alg": "none") token is not a JWS and fails here
            jwt = SignedJWT.parse(token);
        } catch (ParseException | IllegalArgumentException e) {
            return Challenge.invalid("malformed token");
        }
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        if (!config.algorithms().contains(alg)) {
            return Challenge.invalid("algorithm not allowed");
        }
        String kid = jwt.getHeader().getKeyID();
        if (snapshot != null && snapshot.knows(kid)) {
            return check.check(request, token, jwt, snapshot, now, accepted);
        }
        Optional<CompletionStage<KeySnapshot>> wait = keys.tryAwaitKey(kid, now);
        if (wait.isEmpty()) {
            // a flood of unknown kids already holds KeySource.MAX_WAITERS requests on this node
            return snapshot == null ? Challenge.keysUnavailable() : Challenge.invalid("unknown signing key");
        }
        return Decision.pending(wait.get()
            .thenApply(fresh -> fresh == null
                ? Challenge.keysUnavailable()
                : check.check(request, token, jwt, fresh, clock.millis(), accepted))
            .exceptionally(failure -> Challenge.keysUnavailable()));
    }
}
