package dev.meridian.manager.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable file of one JSON text per line (the tokens' and the audit's copy on this node's
 * disk): {@link #append} returns once the line is forced to disk, {@link #rewrite} replaces the
 * whole file atomically (temp file, force, rename, directory force) when it is compacted. A line
 * cut short by a crash is skipped when read. Callers serialise writes.
 */
final class JsonLines {

    private static final Logger LOG = LoggerFactory.getLogger(JsonLines.class);

    private final Path file;
    private FileChannel channel;
    private int lines;

    JsonLines(Path file) throws IOException {
        this.file = file;
        Files.createDirectories(file.getParent());
    }

    /** Every complete line, oldest first (opens the file for appending afterwards). */
    synchronized List<String> read() throws IOException {
        List<String> out = new ArrayList<>();
        if (Files.exists(file)) {
            String all = Files.readString(file, StandardCharsets.UTF_8);
            int start = 0;
            for (int nl = all.indexOf('\n'); nl >= 0; nl = all.indexOf('\n', start)) {
                String line = all.substring(start, nl).trim();
                if (!line.isEmpty()) {
                    out.add(line);
                }
                start = nl + 1;
            }
            if (start < all.length() && !all.substring(start).isBlank()) {
                LOG.warn("{}: an incomplete last line (a write cut short) is ignored", file.getFileName());
            }
        }
        lines = out.size();
        return out;
    }

    /** Appends lines and forces them to disk before returning. */
    synchronized void append(List<String> texts) throws IOException {
        if (texts.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        for (String t : texts) {
            if (t.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("a record must be one line");
            }
            sb.append(t).append('\n');
        }
        FileChannel ch = open();
        ByteBuffer buf = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
        ch.force(false);
        lines += texts.size();
    }

    /** Lines in the file now (to decide when to compact). */
    synchronized int lines() {
        return lines;
    }

    /** Replaces the file by {@code texts}, atomically and durably. */
    synchronized void rewrite(List<String> texts) throws IOException {
        close();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
            StringBuilder sb = new StringBuilder();
            for (String t : texts) {
                sb.append(t).append('\n');
            }
            ByteBuffer buf = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        forceDirectory();
        lines = texts.size();
    }

    synchronized void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    private FileChannel open() throws IOException {
        if (channel == null) {
            boolean created = !Files.exists(file);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            if (created) {
                forceDirectory(); // the new file's name survives a crash too
            }
        }
        return channel;
    }

    private void forceDirectory() {
        try (FileChannel d = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            LOG.debug("directory sync not supported for {}", file.getParent(), e);
        }
    }
}
