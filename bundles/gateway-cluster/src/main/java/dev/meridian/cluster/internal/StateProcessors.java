package dev.meridian.cluster.internal;

import java.io.Serial;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;

/**
 * The conditional writes of a shared-state space, run by Hazelcast where the key lives (one
 * round trip, atomic on the key's owner, no lock): {@link PutIfAbsent}, {@link CompareAndSet} and
 * {@link AddAndGet}. Hazelcast's {@code IMap} offers no asynchronous {@code putIfAbsent} or
 * {@code replace}, and its {@code replace(key, old, new)} could not serve compare-and-set
 * anyway: the caller's expected bytes do not include the expiry stored beside them.
 *
 * <p>These classes are Java-serialized into the cluster (admitted by {@link DeserializationFilter}
 * as {@code dev.meridian.*}) and resolved by the member's class loader, this bundle's. They read
 * the member's {@link ClusterSeal} from its user context ({@link #SEAL}), put there by
 * {@link HazelcastSharedStates#configure}. A processor only ever <em>verifies</em> with that seal,
 * except {@link AddAndGet}, which seals the new count: it does so only for an addition whose own
 * arguments carry the caller's seal, so a process without the secret that sends one of these
 * classes cannot make a member seal a value of its choosing. (A sniffed sealed value or
 * addition can be replayed by a process that reaches the cluster port, until the value's own
 * expiry: the seal proves origin, not freshness; see the README.)
 *
 * <p>Each processor hands its backup the exact bytes it wrote ({@link Backup}) instead of
 * running again on the backup replica, where the comparison could see another state.
 */
final class StateProcessors {

    /** The user-context key of the member's {@link ClusterSeal}. */
    static final String SEAL = "meridian.state.seal";

    private StateProcessors() {
    }

    /** Where a value of {@code space} at {@code key} is sealed. */
    static String context(String space, String key) {
        return "state:" + space + "\0" + key;
    }

    /** Where an addition's arguments are sealed (never a stored value's context). */
    static String additionContext(String space, String key) {
        return "state-add:" + space + "\0" + key;
    }

    /** What the processors share: the seal of the member they run on, the write and its backup. */
    abstract static class Conditional<R> implements EntryProcessor<String, byte[], R>, HazelcastInstanceAware {
        @Serial
        private static final long serialVersionUID = 1L;

        final String space;
        private transient ClusterSeal seal;
        private transient Backup<R> backup;

        Conditional(String space) {
            this.space = space;
        }

        @Override
        public void setHazelcastInstance(HazelcastInstance hazelcast) {
            seal = (ClusterSeal) hazelcast.getUserContext().get(SEAL);
        }

        /** Runs {@link #apply} on the entry's owner; a retried run starts without the last run's backup. */
        @Override
        public final R process(Map.Entry<String, byte[]> entry) {
            backup = null;
            return apply(entry, System.currentTimeMillis());
        }

        /** The operation on the entry, {@code now} by the owner's clock. */
        abstract R apply(Map.Entry<String, byte[]> entry, long now);

        final ClusterSeal seal() {
            if (seal == null) {
                throw new IllegalStateException("this cluster member has no shared-state configuration: it is not a"
                    + " Meridian node (gateway-cluster configures every member it starts)");
            }
            return seal;
        }

        /** The entry's live value: null when absent, past its expiry, unsealed or of another format. */
        final StateValue live(Map.Entry<String, byte[]> entry, long now) {
            byte[] stored = entry.getValue();
            if (stored == null) {
                return null;
            }
            try {
                StateValue value = StateValue.decode(seal().open(context(space, entry.getKey()), stored));
                return value.expired(now) ? null : value;
            } catch (ClusterSeal.Forged | IllegalArgumentException refused) {
                return null; // a reader logs it; here it is simply not a value
            }
        }

        /** Sets {@code sealed} (a value expiring at {@code expiresAt}) and keeps it for the backup. */
        final void write(Map.Entry<String, byte[]> entry, byte[] sealed, long expiresAt, long now) {
            long ttl = StateValue.hazelcastTtlMillis(expiresAt, now);
            ((ExtendedMapEntry<String, byte[]>) entry).setValue(sealed, ttl, TimeUnit.MILLISECONDS);
            backup = new Backup<>(sealed, ttl);
        }

        /** Called by Hazelcast after {@link #process}: the write to repeat on the backup, or none. */
        @Override
        public final EntryProcessor<String, byte[], R> getBackupProcessor() {
            return backup;
        }
    }

    /** Writes a sealed value only where the key holds no live value. Answers whether it wrote. */
    static final class PutIfAbsent extends Conditional<Boolean> {
        @Serial
        private static final long serialVersionUID = 1L;

        private final byte[] sealed;
        private final long expiresAt;

        /** @param sealed the new value, sealed by the caller; @param expiresAt its expiry (0: never) */
        PutIfAbsent(String space, byte[] sealed, long expiresAt) {
            super(space);
            this.sealed = sealed;
            this.expiresAt = expiresAt;
        }

        @Override
        Boolean apply(Map.Entry<String, byte[]> entry, long now) {
            if (live(entry, now) != null) {
                return false;
            }
            write(entry, sealed, expiresAt, now);
            return true;
        }
    }

    /** Writes a sealed value only where the key's live bytes equal the expected ones. Answers whether it wrote. */
    static final class CompareAndSet extends Conditional<Boolean> {
        @Serial
        private static final long serialVersionUID = 1L;

        private final byte[] expected;
        private final byte[] sealed;
        private final long expiresAt;

        CompareAndSet(String space, byte[] expected, byte[] sealed, long expiresAt) {
            super(space);
            this.expected = expected;
            this.sealed = sealed;
            this.expiresAt = expiresAt;
        }

        @Override
        Boolean apply(Map.Entry<String, byte[]> entry, long now) {
            StateValue current = live(entry, now);
            if (current == null || current.isCounter() || !Arrays.equals(current.payload(), expected)) {
                return false;
            }
            write(entry, sealed, expiresAt, now);
            return true;
        }
    }

    /**
     * Adds to a counter, creating it at 0 with the caller's expiry when the key holds no live
     * value; a live counter keeps its expiry. Answers the new count. Refuses a key that holds bytes.
     */
    static final class AddAndGet extends Conditional<Long> {
        @Serial
        private static final long serialVersionUID = 1L;

        /** {@code delta} and the expiry of a new counter, sealed by the caller ({@link #additionContext}). */
        private final byte[] arguments;

        AddAndGet(String space, byte[] arguments) {
            super(space);
            this.arguments = arguments;
        }

        /** The arguments for an addition of {@code delta} creating a counter that expires at {@code expiresAt}. */
        static byte[] arguments(long delta, long expiresAt) {
            return ByteBuffer.allocate(2 * Long.BYTES).putLong(delta).putLong(expiresAt).array();
        }

        @Override
        Long apply(Map.Entry<String, byte[]> entry, long now) {
            ByteBuffer args;
            try {
                args = ByteBuffer.wrap(seal().open(additionContext(space, entry.getKey()), arguments));
            } catch (ClusterSeal.Forged e) {
                throw new SecurityException("an addition to " + space + " refused: " + e.getMessage());
            }
            long delta = args.getLong();
            long expiresAt = args.getLong();
            StateValue current = live(entry, now);
            if (current != null && !current.isCounter()) {
                throw new IllegalStateException("key '" + entry.getKey() + "' of shared state " + space
                    + " holds bytes, not a counter");
            }
            StateValue next = current == null
                ? StateValue.counter(delta, expiresAt)
                : StateValue.counter(current.count() + delta, current.expiresAt());
            write(entry, seal().seal(context(space, entry.getKey()), next.encode()), next.expiresAt(), now);
            return next.count();
        }
    }

    /**
     * Takes up to {@code want} from a budget of {@code cap} kept as a counter of what was taken
     * (created at 0 with the caller's expiry when the key holds no live value; a live counter
     * keeps its expiry). Answers {@code [granted, taken after]} (JDK types only cross the
     * cluster), granted = {@code max(0, min(want, cap - taken))}, and writes only when it grants some. Refuses a key that holds bytes. Like {@link AddAndGet},
     * its arguments carry the caller's seal, since it seals the new count.
     */
    static final class Take extends Conditional<long[]> {
        @Serial
        private static final long serialVersionUID = 1L;

        /** {@code want}, {@code cap} and the expiry of a new counter, sealed by the caller ({@link #takeContext}). */
        private final byte[] arguments;

        Take(String space, byte[] arguments) {
            super(space);
            this.arguments = arguments;
        }

        static byte[] arguments(long want, long cap, long expiresAt) {
            return ByteBuffer.allocate(3 * Long.BYTES).putLong(want).putLong(cap).putLong(expiresAt).array();
        }

        @Override
        long[] apply(Map.Entry<String, byte[]> entry, long now) {
            ByteBuffer args;
            try {
                args = ByteBuffer.wrap(seal().open(takeContext(space, entry.getKey()), arguments));
            } catch (ClusterSeal.Forged e) {
                throw new SecurityException("a take from " + space + " refused: " + e.getMessage());
            }
            long want = args.getLong();
            long cap = args.getLong();
            long expiresAt = args.getLong();
            StateValue current = live(entry, now);
            if (current != null && !current.isCounter()) {
                throw new IllegalStateException("key '" + entry.getKey() + "' of shared state " + space
                    + " holds bytes, not a counter");
            }
            long taken = current == null ? 0 : current.count();
            long granted = Math.max(0, Math.min(want, cap - taken));
            if (granted == 0) {
                return new long[] {0, taken};
            }
            StateValue next = current == null
                ? StateValue.counter(granted, expiresAt)
                : StateValue.counter(taken + granted, current.expiresAt());
            write(entry, seal().seal(context(space, entry.getKey()), next.encode()), next.expiresAt(), now);
            return new long[] {granted, taken + granted};
        }
    }

    /** Where a take's arguments are sealed (never a stored value's nor an addition's context). */
    static String takeContext(String space, String key) {
        return "state-take:" + space + "\0" + key;
    }

    /** The primary's write, repeated as is on a backup replica. */
    static final class Backup<R> implements EntryProcessor<String, byte[], R> {
        @Serial
        private static final long serialVersionUID = 1L;

        private final byte[] sealed;
        private final long ttlMillis;

        Backup(byte[] sealed, long ttlMillis) {
            this.sealed = sealed;
            this.ttlMillis = ttlMillis;
        }

        @Override
        public R process(Map.Entry<String, byte[]> entry) {
            ((ExtendedMapEntry<String, byte[]>) entry).setValue(sealed, ttlMillis, TimeUnit.MILLISECONDS);
            return null;
        }

        @Override
        public EntryProcessor<String, byte[], R> getBackupProcessor() {
            return null;
        }
    }
}
