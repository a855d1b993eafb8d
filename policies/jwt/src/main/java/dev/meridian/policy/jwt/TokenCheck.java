package dev.meridian.policy.jwt;

import java.text.ParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.PolicyRequest;

/**
 * The checks of one token against one key snapshot, in the order that leaks least: signature
 * first (nothing in an unsigned claim set is trusted or reported), then the removed-key grace,
 * {@code exp} (required), {@code nbf} and {@code iat} with skew, {@code iss}, {@code aud}, the
 * consumer claim, and last the scopes (403, the only rejection of a valid token). An accepted
 * token puts its consumer in the request's attributes and is remembered in
 * {@link VerifiedTokens}.
 */
final class TokenCheck {

    private final JwtConfig config;
    private final long skew;
    private final long grace;
    private final String scopeList;

    TokenCheck(JwtConfig config) {
        this.config = config;
        this.skew = config.clockSkew().toMillis();
        this.grace = config.keyGrace().toMillis();
        this.scopeList = String.join(" ", config.requiredScopes());
    }

    Decision check(PolicyRequest request, String token, SignedJWT jwt, KeySnapshot keys, long now, VerifiedTokens accepted) {
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        String kid = jwt.getHeader().getKeyID();
        KeySnapshot.Key signer = null;
        for (KeySnapshot.Key key : keys.keys(kid)) {
            if (key.fits(alg) && verifies(jwt, key)) {
                signer = key;
                break;
            }
        }
        if (signer == null) {
            return Challenge.invalid(keys.knows(kid) ? "signature invalid" : "unknown signing key");
        }

        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            return Challenge.invalid("malformed claims");
        }
        Date iat = claims.getIssueTime();
        // a removed key verifies only tokens issued before its removal, and only within keyGrace of it
        if (signer.retired() && (now >= signer.removedAt() + grace || iat == null || iat.getTime() > signer.removedAt() + skew)) {
            return Challenge.invalid("signing key no longer published");
        }
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            return Challenge.invalid("token has no exp");
        }
        if (now > exp.getTime() + skew) {
            return Challenge.invalid("token expired");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now + skew < nbf.getTime()) {
            return Challenge.invalid("token not yet valid");
        }
        if (iat != null && now + skew < iat.getTime()) {
            return Challenge.invalid("token issued in the future");
        }
        if (!config.issuer().equals(claims.getIssuer())) {
            return Challenge.invalid("wrong issuer");
        }
        if (!config.audience().isEmpty() && claims.getAudience().stream().noneMatch(config.audience()::contains)) {
            return Challenge.invalid("wrong audience");
        }
        Object consumer = claims.getClaim(config.consumerClaim());
        if (!(consumer instanceof String) && !(consumer instanceof Number)) {
            return Challenge.invalid("token has no consumer claim " + config.consumerClaim());
        }
        if (!config.requiredScopes().isEmpty() && !scopes(claims).containsAll(config.requiredScopes())) {
            return Challenge.insufficientScope(scopeList);
        }

        String id = consumer.toString();
        request.attributes().put(PolicyRequest.CONSUMER, id);
        long until = exp.getTime() + skew;
        if (signer.retired()) {
            until = Math.min(until, signer.removedAt() + grace - 1);
        }
        long notBefore = Math.max(nbf == null ? Long.MIN_VALUE : nbf.getTime() - skew, iat == null ? Long.MIN_VALUE : iat.getTime() - skew);
        accepted.remember(token, new VerifiedTokens.Verified(keys, id, notBefore, until));
        return Decision.proceed();
    }

    private static boolean verifies(SignedJWT jwt, KeySnapshot.Key key) {
        try {
            return jwt.verify(key.verifier());
        } catch (JOSEException | IllegalStateException e) {
            return false;
        }
    }

    /** The token's scopes: OAuth's space-separated {@code scope} (RFC 8693 §4.2) and/or an {@code scp} array (Azure AD, Okta). */
    static List<String> scopes(JWTClaimsSet claims) {
        List<String> out = new ArrayList<>();
        addScopes(out, claims.getClaim("scope"));
        addScopes(out, claims.getClaim("scp"));
        return out;
    }

    private static void addScopes(List<String> out, Object value) {
        if (value instanceof String s) {
            for (String scope : s.split(" ")) {
                if (!scope.isEmpty()) {
                    out.add(scope);
                }
            }
        } else if (value instanceof List<?> list) {
            for (Object scope : list) {
                if (scope instanceof String s) {
                    out.add(s);
                }
            }
        }
    }
}
