package dev.meridian.policy.ipfilter;

import java.util.Objects;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;

/**
 * Applies one validated {@link IpFilterConfig} to {@link PolicyRequest#clientAddress()}; deny
 * wins, and without an allow list every address not denied passes. Thread-safe, its only field
 * is immutable; a check is two binary searches over sorted ranges, allocation-free but for
 * parsing the address.
 *
 * <p>It runs where it is written (default order): written first, it refuses before any other
 * policy runs; a {@code cors} policy still answers preflights before it (a preflight grants
 * nothing, the actual request is refused here).
 */
final class IpFilterPolicy implements Policy {

    static final String REFUSED = "client address not allowed";
    static final String UNKNOWN = "client address not recognised";

    private final IpFilterConfig config;

    IpFilterPolicy(IpFilterConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public Decision onRequest(PolicyRequest request) {
        IpAddress client = IpAddress.parseClient(request.clientAddress());
        if (client == null) {
            return Decision.reject(403, UNKNOWN);
        }
        return allows(client) ? Decision.proceed() : Decision.reject(403, REFUSED);
    }

    boolean allows(IpAddress client) {
        if (config.deny().contains(client)) {
            return false;
        }
        return config.allow().isEmpty() || config.allow().get().contains(client);
    }

    @Override
    public String toString() {
        return "ip-filter{allow=" + config.allow().map(set -> set.blocks() + " blocks").orElse("all") + ", deny="
                + config.deny().blocks() + " blocks}";
    }
}
