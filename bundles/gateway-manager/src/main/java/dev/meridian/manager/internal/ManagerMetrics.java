package dev.meridian.manager.internal;

import java.util.concurrent.atomic.LongAdder;

import org.osgi.service.component.annotations.Component;

/**
 * Counters of the manager for {@code /metrics}: revisions committed through this node,
 * revisions adopted from other nodes, refusals, and the propagation time of adopted revisions
 * (from the commit time recorded in the revision to this node serving it; clocks of one host,
 * or NTP-synchronised hosts, assumed).
 */
@Component(service = ManagerMetrics.class)
public final class ManagerMetrics {

    /** Upper bounds of the propagation histogram, in milliseconds. */
    static final long[] BUCKETS_MS = {1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 5000};

    final LongAdder committed = new LongAdder();
    final LongAdder adopted = new LongAdder();
    final LongAdder refused = new LongAdder();
    private final LongAdder[] buckets = new LongAdder[BUCKETS_MS.length + 1];
    private final LongAdder propagationMsSum = new LongAdder();

    public ManagerMetrics() {
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    void propagation(long ms) {
        long v = Math.max(0, ms);
        propagationMsSum.add(v);
        int i = 0;
        while (i < BUCKETS_MS.length && v > BUCKETS_MS[i]) {
            i++;
        }
        buckets[i].increment();
    }

    void write(StringBuilder sb) {
        counter(sb, "meridian_revisions_committed_total", "Revisions committed through this node's manager.", committed.sum());
        counter(sb, "meridian_revisions_adopted_total", "Revisions committed elsewhere and adopted by this node.", adopted.sum());
        counter(sb, "meridian_changes_refused_total", "Changes refused because no majority of the cluster was reachable.", refused.sum());
        sb.append("# HELP meridian_propagation_seconds From a revision's commit on another node to this node serving it.\n")
            .append("# TYPE meridian_propagation_seconds histogram\n");
        long cumulative = 0;
        for (int i = 0; i < buckets.length; i++) {
            cumulative += buckets[i].sum();
            String le = i < BUCKETS_MS.length ? Double.toString(BUCKETS_MS[i] / 1000.0) : "+Inf";
            sb.append("meridian_propagation_seconds_bucket{le=\"").append(le).append("\"} ").append(cumulative).append('\n');
        }
        sb.append("meridian_propagation_seconds_sum ").append(propagationMsSum.sum() / 1000.0).append('\n');
        sb.append("meridian_propagation_seconds_count ").append(cumulative).append('\n');
    }

    private static void counter(StringBuilder sb, String name, String help, long value) {
        sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n")
            .append(name).append(' ').append(value).append('\n');
    }
}
