package dev.meridian.policy.ratelimit;

/** The count of one key in one window on this node. Thread-safe. */
abstract sealed class Bucket permits NodeBucket, LeaseBucket {

    final Window window;

    Bucket(Window window) {
        this.window = window;
    }

    /** Counts one request against {@code cap} at {@code now}. Never blocks. */
    abstract Outcome acquire(long cap, long now);
}
