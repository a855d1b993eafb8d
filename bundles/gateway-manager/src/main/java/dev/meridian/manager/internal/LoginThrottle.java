package dev.meridian.manager.internal;

import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;

/**
 * Slows repeated failed logins per source address (CONTRACT §9): the first {@link #FREE} failures
 * cost nothing; each one after that closes the address for {@code 250 ms × 2^(n - FREE - 1)},
 * capped at {@link #MAX_BLOCK_NANOS} (4 s), during which its logins are answered 429 without being
 * checked. Failures are forgotten after {@link #FORGET_NANOS} (60 s) without one, and a success
 * forgets them at once, so nobody — {@code admin} included — is ever locked out for good, and one
 * address's flood (answered at once, holding no thread) does not slow another's logins.
 *
 * <p>Memory is bounded: past {@link #MAX_ADDRESSES} addresses, the quiet ones are dropped, and if
 * that is not enough, all of them (an attacker spraying from that many addresses can restart its
 * budget of {@link #FREE} tries; the limit protects the node's memory first).
 *
 * <p>One instance per node, shared by every door that checks a password (a DS service): the admin
 * API ({@link AdminServlet}), ssh and the web console ({@link ThrottleLoginModule}), so an address
 * flooding one door is slowed at the others too. Addresses are keyed in {@link #address} form.
 */
@Component(service = LoginThrottle.class)
public final class LoginThrottle {

    static final int FREE = 5;
    static final long FIRST_BLOCK_NANOS = 250_000_000L;
    static final long MAX_BLOCK_NANOS = 4_000_000_000L;
    static final long FORGET_NANOS = 60_000_000_000L;
    static final int MAX_ADDRESSES = 10_000;

    /** An address's failures in a row and until when it is closed (nanoTime). */
    private record Failures(int count, long lastNanos, long closedUntilNanos) {
    }

    private final ConcurrentHashMap<String, Failures> byAddress = new ConcurrentHashMap<>();

    /** DS (and tests) make it. */
    public LoginThrottle() {
    }

    /**
     * The key of a source address as every door must give it: the IP literal without port or
     * brackets, as a servlet's {@code getRemoteAddr()} gives it ({@code 127.0.0.2}), from that or
     * from {@code SocketAddress.toString()} forms ({@code /127.0.0.2:50123},
     * {@code host/127.0.0.2:50123}, {@code /[::1]:50123}).
     */
    static String address(String raw) {
        String a = raw.trim();
        int slash = a.lastIndexOf('/');
        if (slash >= 0) {
            a = a.substring(slash + 1);
        }
        if (a.startsWith("[")) {
            int close = a.indexOf(']');
            return close > 0 ? a.substring(1, close) : a.substring(1);
        }
        int colon = a.indexOf(':');
        // one colon: IPv4 (or a name) with a port; more: an IPv6 literal without brackets or port
        return colon >= 0 && colon == a.lastIndexOf(':') ? a.substring(0, colon) : a;
    }

    /** Nanoseconds until {@code address} may try again (0 = now). */
    long waitNanos(String address, long now) {
        Failures f = byAddress.get(address);
        if (f == null) {
            return 0;
        }
        return Math.max(0, f.closedUntilNanos() - now);
    }

    /** Records a failed login from {@code address}; returns how long it is now closed (0 = not). */
    long failed(String address, long now) {
        if (byAddress.size() >= MAX_ADDRESSES && !byAddress.containsKey(address)) {
            byAddress.values().removeIf(f -> now - f.lastNanos() > FORGET_NANOS);
            if (byAddress.size() >= MAX_ADDRESSES) {
                byAddress.clear();
            }
        }
        Failures f = byAddress.compute(address, (a, old) -> {
            int count = old == null || now - old.lastNanos() > FORGET_NANOS ? 1 : old.count() + 1;
            long block = count <= FREE ? 0 : blockNanos(count);
            return new Failures(count, now, now + block);
        });
        return Math.max(0, f.closedUntilNanos() - now);
    }

    /** A successful login from {@code address} forgets its failures. */
    void succeeded(String address) {
        byAddress.remove(address);
    }

    /** Addresses tracked now. */
    int tracked() {
        return byAddress.size();
    }

    /** How long the {@code count}-th failure in a row closes its address. */
    static long blockNanos(int count) {
        int doublings = Math.min(count - FREE - 1, 20);
        return Math.min(MAX_BLOCK_NANOS, FIRST_BLOCK_NANOS << Math.max(0, doublings));
    }
}
