package dev.meridian.manager.internal;

import java.util.Locale;
import java.util.Optional;

/**
 * The roles of CONTRACT §9, weakest first: {@code viewer} reads, {@code operator} also changes
 * what is served (apply, delete, rollback, invalidate), {@code admin} does everything (tokens too).
 */
enum Role {
    VIEWER, OPERATOR, ADMIN;

    /** Whether this role may do what {@code needed} may. */
    boolean covers(Role needed) {
        return compareTo(needed) >= 0;
    }

    /** Its name on the wire: {@code admin}, {@code operator}, {@code viewer}. */
    String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Optional<Role> parse(String s) {
        if (s == null) {
            return Optional.empty();
        }
        for (Role r : values()) {
            if (r.wire().equals(s)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /**
     * The Karaf roles a caller of this role gets in realm {@code karaf}, so Karaf's command ACLs
     * ({@code etc/org.apache.karaf.command.acl.gateway.cfg}) and the web console's role check
     * apply: {@code ssh} lets it in at all, only {@code admin} opens the web console and Karaf's
     * own administrative commands.
     */
    String[] karafRoles() {
        return switch (this) {
            case ADMIN -> new String[] {"admin", "manager", "viewer", "systembundles", "ssh"};
            case OPERATOR -> new String[] {"operator", "viewer", "ssh"};
            case VIEWER -> new String[] {"viewer", "ssh"};
        };
    }

    /** The strongest Meridian role a set of Karaf role names carries (users.properties' admin group: {@code admin}). */
    static Optional<Role> fromKaraf(Iterable<String> karafRoles) {
        Role best = null;
        for (String r : karafRoles) {
            Role m = switch (r) {
                case "admin" -> ADMIN;
                case "operator" -> OPERATOR;
                case "viewer" -> VIEWER;
                default -> null;
            };
            if (m != null && (best == null || m.covers(best))) {
                best = m;
            }
        }
        return Optional.ofNullable(best);
    }
}
