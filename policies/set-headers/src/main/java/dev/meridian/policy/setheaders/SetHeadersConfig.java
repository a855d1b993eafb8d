package dev.meridian.policy.setheaders;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyConfigException.Problem;

/**
 * The validated configuration of one {@code set-headers} entry. Immutable.
 *
 * @param request what to do to the request headers; {@link Phase#NONE} when not configured
 * @param response what to do to the response headers; {@link Phase#NONE} when not configured
 */
record SetHeadersConfig(Phase request, Phase response) {

    static final String REQUEST = "request";
    static final String RESPONSE = "response";
    static final String SET = "set";
    static final String ADD = "add";
    static final String REMOVE = "remove";

    /**
     * Headers a policy may not touch: message framing and hop-by-hop headers belong to the
     * gateway's HTTP layer (hop-by-hop headers are stripped anyway).
     */
    private static final Set<String> RESERVED = Set.of("connection", "content-length", "keep-alive",
            "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

    SetHeadersConfig {
        Objects.requireNonNull(request, REQUEST);
        Objects.requireNonNull(response, RESPONSE);
        if (request.isEmpty() && response.isEmpty()) {
            throw new IllegalArgumentException("at least one of request, response must change something");
        }
    }

    /**
     * The operations of one phase, applied in this order: remove, then set, then add.
     *
     * @param remove header names to remove
     * @param set headers whose every value is replaced by one value
     * @param add values appended to a header
     */
    record Phase(List<String> remove, List<Header> set, List<Header> add) {

        static final Phase NONE = new Phase(List.of(), List.of(), List.of());

        Phase {
            remove = List.copyOf(remove);
            set = List.copyOf(set);
            add = List.copyOf(add);
            remove.forEach(SetHeadersConfig::requireValidName);
        }

        boolean isEmpty() {
            return remove.isEmpty() && set.isEmpty() && add.isEmpty();
        }
    }

    /** One header name and value, both already validated. */
    record Header(String name, String value) {

        Header {
            requireValidName(name);
            Objects.requireNonNull(value, "value");
            if (invalidValue(value) != null) {
                throw new IllegalArgumentException("invalid value for header " + name);
            }
        }
    }

    /**
     * Validates a policy entry's configuration (every field but {@code type}), reporting every
     * problem at once with its path relative to the entry, e.g. {@code request.set.X-Env}.
     */
    static SetHeadersConfig parse(Map<String, Object> config) throws PolicyConfigException {
        Objects.requireNonNull(config, "config");
        List<Problem> problems = new ArrayList<>();
        for (String key : config.keySet()) {
            if (!REQUEST.equals(key) && !RESPONSE.equals(key)) {
                problems.add(new Problem(key, "unknown field; expected request or response"));
            }
        }
        Phase request = phase(config, REQUEST, problems);
        Phase response = phase(config, RESPONSE, problems);
        if (!config.containsKey(REQUEST) && !config.containsKey(RESPONSE)) {
            problems.add(new Problem("", "at least one of request, response is required"));
        }
        if (!problems.isEmpty()) {
            throw new PolicyConfigException(problems);
        }
        return new SetHeadersConfig(request, response);
    }

    private static Phase phase(Map<String, Object> config, String name, List<Problem> problems) {
        if (!config.containsKey(name)) {
            return Phase.NONE;
        }
        if (!(config.get(name) instanceof Map<?, ?> object)) {
            problems.add(new Problem(name, "expected an object with set, add and/or remove"));
            return Phase.NONE;
        }
        int before = problems.size();
        for (Object key : object.keySet()) {
            String field = String.valueOf(key);
            if (!SET.equals(field) && !ADD.equals(field) && !REMOVE.equals(field)) {
                problems.add(new Problem(name + "." + field, "unknown field; expected set, add or remove"));
            }
        }
        List<String> remove = names(object, name + "." + REMOVE, problems);
        List<Header> set = headers(object, name + "." + SET, SET, problems);
        List<Header> add = headers(object, name + "." + ADD, ADD, problems);
        if (problems.size() > before) {
            return Phase.NONE;
        }
        Phase phase = new Phase(remove, set, add);
        if (phase.isEmpty()) {
            problems.add(new Problem(name, "expected at least one header in set, add or remove"));
        }
        return phase;
    }

    private static List<String> names(Map<?, ?> phase, String path, List<Problem> problems) {
        if (!phase.containsKey(REMOVE)) {
            return List.of();
        }
        if (!(phase.get(REMOVE) instanceof List<?> list)) {
            problems.add(new Problem(path, "expected a list of header names"));
            return List.of();
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String at = path + "[" + i + "]";
            if (list.get(i) instanceof String name) {
                String problem = invalidName(name);
                if (problem != null) {
                    problems.add(new Problem(at, problem));
                } else {
                    names.add(name);
                }
            } else {
                problems.add(new Problem(at, "expected a header name (a string)"));
            }
        }
        return names;
    }

    private static List<Header> headers(Map<?, ?> phase, String path, String field, List<Problem> problems) {
        if (!phase.containsKey(field)) {
            return List.of();
        }
        if (!(phase.get(field) instanceof Map<?, ?> map)) {
            problems.add(new Problem(path, "expected an object of header names to values"));
            return List.of();
        }
        List<Header> headers = new ArrayList<>();
        Map<String, String> seen = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String name = String.valueOf(entry.getKey());
            String at = path + "." + name;
            String nameProblem = invalidName(name);
            if (nameProblem != null) {
                problems.add(new Problem(at, nameProblem));
                continue;
            }
            String first = seen.putIfAbsent(name, name);
            if (first != null) {
                problems.add(new Problem(at, "duplicate header name (also " + first + "; names are case-insensitive)"));
                continue;
            }
            String value = text(entry.getValue());
            if (value == null) {
                problems.add(new Problem(at, "expected a string value"));
                continue;
            }
            String valueProblem = invalidValue(value);
            if (valueProblem != null) {
                problems.add(new Problem(at, valueProblem));
                continue;
            }
            headers.add(new Header(name, value));
        }
        return headers;
    }

    /** A string as is; a number or boolean as written; anything else (null, objects, lists) is not a value. */
    private static String text(Object value) {
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Boolean || value instanceof Long || value instanceof Integer) {
            return value.toString();
        }
        if (value instanceof Double d && Double.isFinite(d)) {
            return BigDecimal.valueOf(d).toPlainString();
        }
        return null;
    }

    private static void requireValidName(String name) {
        String problem = invalidName(Objects.requireNonNull(name, "name"));
        if (problem != null) {
            throw new IllegalArgumentException(problem + ": " + name);
        }
    }

    /** Why {@code name} is not an HTTP field name we may change (RFC 9110 token), or null. */
    static String invalidName(String name) {
        if (name.isEmpty()) {
            return "invalid header name: empty";
        }
        for (int i = 0; i < name.length(); i++) {
            if (!isTokenChar(name.charAt(i))) {
                return "invalid header name: must be an HTTP token (letters, digits and !#$%&'*+-.^_`|~)";
            }
        }
        if (RESERVED.contains(name.toLowerCase(Locale.ROOT))) {
            return "header " + name + " is managed by the gateway and cannot be changed by a policy";
        }
        return null;
    }

    /** Why {@code value} cannot be sent as a header value, or null. */
    static String invalidValue(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == '\0') {
                return "invalid header value: must not contain CR, LF or NUL";
            }
        }
        return null;
    }

    private static boolean isTokenChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }
}
