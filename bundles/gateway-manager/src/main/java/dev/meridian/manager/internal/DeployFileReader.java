package dev.meridian.manager.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Reads a definition file of the deploy folder whole, or says why not: refused for good (a
 * symbolic link, not a regular file, over the size cap) or not settled yet (written less than the
 * settle delay ago, or its size or modification time changed while it was read). A refused file is
 * never read past the cap; an unsettled one is read again by the caller after the settle delay.
 * Immutable; any thread.
 */
final class DeployFileReader {

    /** What was read, with the size and modification time it had before and after the read. */
    record Content(byte[] bytes, long size, FileTime modified) {
    }

    /** The file must not be applied, whatever happens next to it (until it changes). */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** The file is still being written: read it again after {@link #settle()}. */
    static final class Unsettled extends Exception {
        private static final long serialVersionUID = 1L;

        Unsettled(String message) {
            super(message, null, false, false);
        }
    }

    private final long maxBytes;
    private final Duration settle;
    private final LongSupplier clockMillis;

    DeployFileReader(long maxBytes, Duration settle, LongSupplier clockMillis) {
        this.maxBytes = maxBytes;
        this.settle = settle;
        this.clockMillis = clockMillis;
    }

    long maxBytes() {
        return maxBytes;
    }

    Duration settle() {
        return settle;
    }

    Content read(Path file) throws Refused, Unsettled, IOException {
        if (Files.isSymbolicLink(file)) {
            throw new Refused("is a symbolic link: refused (a definition in deploy/ must be a regular file)");
        }
        BasicFileAttributes before = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!before.isRegularFile()) {
            throw new Refused("is not a regular file: refused");
        }
        if (before.size() > maxBytes) {
            throw new Refused("is " + before.size() + " bytes, over MERIDIAN_DEPLOY_MAX_BYTES (" + maxBytes
                + "): refused, nothing changed");
        }
        long age = clockMillis.getAsLong() - before.lastModifiedTime().toMillis();
        if (age < settle.toMillis()) {
            throw new Unsettled("written " + Math.max(0, age) + " ms ago");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        }
        if (bytes.length > maxBytes) {
            throw new Refused("grew over MERIDIAN_DEPLOY_MAX_BYTES (" + maxBytes + ") while read: refused, nothing changed");
        }
        BasicFileAttributes after = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (after.size() != before.size() || !after.lastModifiedTime().equals(before.lastModifiedTime())
            || bytes.length != after.size()) {
            throw new Unsettled("changed while read");
        }
        return new Content(bytes, after.size(), after.lastModifiedTime());
    }

    /** Whether {@code file} is no longer the one {@code read} was read from (its size or time moved on, or it is gone). */
    static boolean changedSince(Path file, Content read) {
        try {
            BasicFileAttributes now = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return now.size() != read.size() || !now.lastModifiedTime().equals(read.modified());
        } catch (IOException gone) {
            return true;
        }
    }
}
