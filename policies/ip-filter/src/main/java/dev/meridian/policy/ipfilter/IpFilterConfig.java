package dev.meridian.policy.ipfilter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyConfigException.Problem;

/**
 * The validated configuration of one {@code ip-filter} entry. Immutable.
 *
 * @param allow the blocks allowed; empty when every address not denied is allowed
 * @param deny the blocks refused, whatever {@code allow} says
 */
record IpFilterConfig(Optional<CidrSet> allow, CidrSet deny) {

    static final String ALLOW = "allow";
    static final String DENY = "deny";

    /** Far above any real list (10k is the figure we measure); a bound so a typo cannot make a 1 GB definition. */
    static final int MAX_BLOCKS = 100_000;

    private static final int MAX_ECHO = 64;

    IpFilterConfig {
        Objects.requireNonNull(allow, ALLOW);
        Objects.requireNonNull(deny, DENY);
    }

    /**
     * Validates a policy entry's configuration (every field but {@code type}), reporting every
     * problem at once with its path, e.g. {@code deny[3]: not a CIDR: '10.0.0.1/8': host bits ...}.
     *
     * @throws PolicyConfigException naming every invalid field (the admin API answers 422)
     */
    static IpFilterConfig parse(Map<String, Object> config) throws PolicyConfigException {
        Objects.requireNonNull(config, "config");
        List<Problem> problems = new ArrayList<>();
        for (String key : config.keySet()) {
            if (!ALLOW.equals(key) && !DENY.equals(key)) {
                problems.add(new Problem(key, "unknown field; expected allow or deny"));
            }
        }
        if (!config.containsKey(ALLOW) && !config.containsKey(DENY)) {
            problems.add(new Problem("", "at least one of allow, deny is required"));
        }
        if (config.get(ALLOW) instanceof List<?> list && list.isEmpty()) {
            problems.add(new Problem(ALLOW,
                    "an empty allow list would refuse every address; leave allow out to let every address not denied through"));
        }
        List<Cidr> allow = blocks(config, ALLOW, problems);
        List<Cidr> deny = blocks(config, DENY, problems);
        if (!problems.isEmpty()) {
            throw new PolicyConfigException(problems);
        }
        Optional<CidrSet> allowSet = config.containsKey(ALLOW) ? Optional.of(new CidrSet(allow)) : Optional.empty();
        return new IpFilterConfig(allowSet, new CidrSet(deny));
    }

    private static List<Cidr> blocks(Map<String, Object> config, String field, List<Problem> problems) {
        if (!config.containsKey(field)) {
            return List.of();
        }
        if (!(config.get(field) instanceof List<?> list)) {
            problems.add(new Problem(field, "expected a list of CIDR blocks or IP addresses"));
            return List.of();
        }
        if (list.size() > MAX_BLOCKS) {
            problems.add(new Problem(field, "at most " + MAX_BLOCKS + " entries"));
            return List.of();
        }
        List<Cidr> blocks = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            String at = field + "[" + i + "]";
            if (list.get(i) instanceof String text) {
                try {
                    blocks.add(Cidr.parse(text.strip()));
                } catch (IllegalArgumentException e) {
                    problems.add(new Problem(at, "not a CIDR: " + echo(text) + ": " + e.getMessage()));
                }
            } else {
                problems.add(new Problem(at, "not a CIDR: expected a string such as 10.0.0.0/8 or \"2001:db8::/32\""));
            }
        }
        return blocks;
    }

    /** The value as written, cut and with control characters masked: it goes into an admin API answer and a log. */
    private static String echo(String text) {
        String shown = text.length() > MAX_ECHO ? text.substring(0, MAX_ECHO) + "..." : text;
        return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "'";
    }
}
