package dev.meridian.policy.introspection;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

import dev.meridian.policy.api.SharedState;

/**
 * This node's view of the revocation list. The list may be large, so the request path never
 * reads it: it {@link SharedState#peek peeks} at the small {@value #VERSION} entry (the list's
 * sequence, in the near cache) and uses the snapshot it parsed last while that is not older.
 * The admin API writes the list, then the version; a change made anywhere reaches every node's
 * near cache within milliseconds.
 */
final class RevocationView {

    /** The list ({@link Revocations}' format). */
    static final String LIST = "list";
    /** The list's sequence as decimal ASCII. */
    static final String VERSION = "version";

    private final SharedState state;
    private final AtomicReference<Seen> seen = new AtomicReference<>(new Seen(new byte[0], Revocations.NONE));

    /** The version bytes last matched and the snapshot valid for them. */
    private record Seen(byte[] version, Revocations revocations) {
    }

    RevocationView(SharedState state) {
        this.state = state;
        // a missing key is never near-cached: without these every request would cross the network
        state.putIfAbsent(VERSION, "0".getBytes(StandardCharsets.US_ASCII), Duration.ZERO);
        state.putIfAbsent(LIST, (Revocations.MAGIC + "0\n").getBytes(StandardCharsets.UTF_8), Duration.ZERO);
    }

    /** The current snapshot if this node can tell without a call, else empty (then {@link #load()}). */
    Optional<Revocations> peek() {
        Optional<byte[]> version = state.peek(VERSION);
        if (version.isEmpty()) {
            return Optional.empty();
        }
        Seen s = seen.get();
        if (Arrays.equals(s.version(), version.get())) {
            return Optional.of(s.revocations());
        }
        long v = sequence(version.get());
        if (v >= 0 && s.revocations().sequence() >= v) {
            seen.compareAndSet(s, new Seen(version.get(), s.revocations()));
            return Optional.of(s.revocations());
        }
        return Optional.empty();
    }

    /** Reads the version and the list (filling the near cache) and keeps the newer snapshot. */
    CompletionStage<Revocations> load() {
        return state.get(VERSION).thenCombine(state.get(LIST), (version, list) -> {
            Revocations parsed = list.map(Revocations::parse).orElse(Revocations.NONE);
            Seen s = seen.get();
            Revocations newest = parsed.sequence() >= s.revocations().sequence() ? parsed : s.revocations();
            // the version may be ahead of a near copy of the list still on its way: then remember no
            // version, so the next request loads again
            byte[] v = version.filter(b -> newest.sequence() >= sequence(b)).orElse(new byte[0]);
            seen.set(new Seen(v, newest));
            return newest;
        });
    }

    private static long sequence(byte[] version) {
        try {
            return Long.parseLong(new String(version, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
