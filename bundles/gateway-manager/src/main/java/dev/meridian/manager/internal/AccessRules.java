package dev.meridian.manager.internal;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The admin API's authorisation in one table (CONTRACT §9): method and path (under
 * {@code /api/v1}) to the weakest role allowed. The first matching row decides; a call no row
 * names needs {@code admin}, so an endpoint added without a row here is closed to tokens of the
 * other roles until someone classifies it ({@code AccessRulesTest} lists every endpoint).
 */
final class AccessRules {

    /** One row: {@code method} ({@code *} = any) and a path regular expression. */
    record Rule(String method, Pattern path, Role needed) {
        boolean matches(String m, String p) {
            return (method.equals("*") || method.equals(m)) && path.matcher(p).matches();
        }
    }

    private static final List<Rule> TABLE = List.of(
        // reads
        rule("GET", "/apis(/[^/]+)?", Role.VIEWER),
        rule("GET", "/revisions(/\\d+)?", Role.VIEWER),
        rule("GET", "/plugins", Role.VIEWER),
        rule("GET", "/cluster", Role.VIEWER),
        rule("GET", "/cache/stats", Role.VIEWER),
        rule("GET", "/audit", Role.VIEWER),
        rule("GET", "/canary", Role.VIEWER),
        rule("GET", "/consumers(/[^/]+)?", Role.VIEWER), // ids, groups, key ids and expiry: never a key or its hash
        rule("GET", "/whoami", Role.VIEWER), // the caller's own name and role (the console hides what the role may not do)
        rule("GET", "/metrics/(series|stream)", Role.VIEWER),
        // changes of what is served
        rule("PUT", "/apis/[^/]+", Role.OPERATOR),
        rule("DELETE", "/apis/[^/]+", Role.OPERATOR),
        rule("PUT", "/consumers/[^/]+", Role.OPERATOR), // applied like APIs, in the same revisions (CONTRACT §8)
        rule("DELETE", "/consumers/[^/]+", Role.OPERATOR),
        rule("POST", "/apply", Role.OPERATOR),
        rule("POST", "/validate", Role.OPERATOR), // builds every policy on this node: a dry run of an apply, for who may apply
        rule("POST", "/rollback", Role.OPERATOR),
        rule("POST", "/cache/invalidate", Role.OPERATOR),
        rule("POST", "/introspection/revoke", Role.OPERATOR), // an invalidation of the oauth2-introspection policy's answers
        rule("POST", "/canary/(promote|abort)", Role.OPERATOR),
        // identities and secrets
        rule("*", "/tokens(/[^/]+)?", Role.ADMIN),
        rule("POST", "/secrets/reload", Role.ADMIN));

    private AccessRules() {
    }

    private static Rule rule(String method, String path, Role needed) {
        return new Rule(method, Pattern.compile(path), needed);
    }

    /** The weakest role allowed {@code method path} ({@code path} below {@code /api/v1}); {@code admin} for unknown calls. */
    static Role needed(String method, String path) {
        String m = method.equals("HEAD") ? "GET" : method;
        for (Rule r : TABLE) {
            if (r.matches(m, path)) {
                return r.needed();
            }
        }
        return Role.ADMIN;
    }
}
