package dev.meridian.policy.apikey;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyConfigException.Problem;

/**
 * The validated configuration of one {@code api-key} entry: where the key is looked for (a header,
 * by default {@code X-Api-Key}, or a query parameter: one of the two) and who may pass.
 *
 * @param header the header carrying the key, or empty when the key is in the query
 * @param query the query parameter carrying the key, or empty when it is in a header
 * @param allow consumer ids or groups let through; empty = any known consumer
 */
record ApiKeyConfig(String header, String query, Set<String> allow) {

    static final String DEFAULT_HEADER = "X-Api-Key";
    private static final Set<String> FIELDS = Set.of("header", "query", "allow");
    /** An HTTP field name (RFC 9110 token). */
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    /** Unreserved characters only: the name is compared as written, never decoded. */
    private static final Pattern PARAM = Pattern.compile("[A-Za-z0-9._~-]{1,64}");
    /** Consumer ids and groups (CONTRACT §8). */
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

    ApiKeyConfig {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(query, "query");
        if (header.isEmpty() == query.isEmpty()) {
            throw new IllegalArgumentException("exactly one of header and query");
        }
        allow = Set.copyOf(allow);
    }

    boolean inQuery() {
        return !query.isEmpty();
    }

    /** Where the key is looked for, for messages: {@code header X-Api-Key}. */
    String where() {
        return inQuery() ? "query parameter " + query : "header " + header;
    }

    /**
     * Reads a policy entry's fields (all but {@code type}).
     *
     * @throws PolicyConfigException naming every invalid field at once
     */
    static ApiKeyConfig parse(Map<String, Object> config) throws PolicyConfigException {
        List<Problem> problems = new ArrayList<>();
        config.keySet().stream().filter(k -> !FIELDS.contains(k)).sorted()
            .forEach(k -> problems.add(new Problem(k, "unknown field (api-key takes header or query, and allow)")));
        if (config.containsKey("header") && config.containsKey("query")) {
            problems.add(new Problem("", "header and query exclude each other: the key is looked for in one place"));
        }
        String header = text(config, "header", TOKEN, "an HTTP header name", problems);
        String query = text(config, "query", PARAM, "a query parameter name of 1-64 of A-Z a-z 0-9 . _ ~ -", problems);
        Set<String> allow = new LinkedHashSet<>();
        if (config.get("allow") instanceof List<?> list) {
            if (list.isEmpty()) {
                problems.add(new Problem("allow", "an empty list lets nobody through: leave allow out for any known consumer"));
            }
            for (int i = 0; i < list.size(); i++) {
                if (list.get(i) instanceof String s && NAME.matcher(s).matches()) {
                    allow.add(s);
                } else {
                    problems.add(new Problem("allow[" + i + "]", "expected a consumer id or group ([a-z0-9][a-z0-9-]{0,63})"));
                }
            }
        } else if (config.containsKey("allow")) {
            problems.add(new Problem("allow", "expected a list of consumer ids or groups"));
        }
        if (!problems.isEmpty()) {
            throw new PolicyConfigException(problems);
        }
        return new ApiKeyConfig(header.isEmpty() && query.isEmpty() ? DEFAULT_HEADER : header, query, allow);
    }

    private static String text(Map<String, Object> config, String field, Pattern valid, String what, List<Problem> problems) {
        if (!config.containsKey(field)) {
            return "";
        }
        if (config.get(field) instanceof String s && valid.matcher(s).matches()) {
            return s;
        }
        problems.add(new Problem(field, "expected " + what));
        return "";
    }
}
