package dev.meridian.manager.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.manager.GatewayAdmin;
import dev.meridian.manager.RevisionInfo;
import dev.meridian.core.Canary;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.CanaryPolicy;
import dev.meridian.model.ConsumerDefinition;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Json;

/**
 * Durable revision history: one JSON file per revision, written to a temporary file, forced to
 * disk, renamed into place and the directory forced, so a revision that was answered survives a
 * crash. The index of entries is kept in memory; states are read from disk on demand.
 * Not thread-safe for writers: the manager serialises changes.
 *
 * <p>A change made here is {@linkplain #stage staged} before it is committed to the cluster: its
 * file is written under a {@code .staged} name, so a full disk refuses the change before anything
 * is published (507), and the write after the commit is an fsync and a rename. A staged file that
 * was not committed (another node took the number) is dropped by the next stage or at start.
 */
final class RevisionStore {

    private static final Logger LOG = LoggerFactory.getLogger(RevisionStore.class);

    private final Path dir;
    private final NavigableMap<Long, RevisionInfo> index = new TreeMap<>();
    /** The index's last key, readable without the lock. */
    private volatile long latest;
    /** The revision staged and not yet appended, or null. Guarded by this. */
    private Staged staged;

    private record Staged(long revision, String payload, Path file) {
    }

    RevisionStore(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "rev-*.json")) {
            for (Path file : files) {
                try {
                    Map<?, ?> tree = (Map<?, ?>) Json.read(Files.readAllBytes(file));
                    RevisionInfo info = info(tree);
                    index.put(info.revision(), info);
                } catch (IOException | DefinitionException | RuntimeException e) {
                    LOG.error("revision file {} is unreadable and ignored", file, e);
                }
            }
        }
        latest = index.isEmpty() ? 0 : index.lastKey();
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(dir, "rev-*.json.staged")) {
            for (Path file : leftovers) {
                Files.deleteIfExists(file); // staged by a change that never answered: never committed from here
            }
        }
    }

    /**
     * Writes {@code payload} as revision {@code revision}'s file-to-be, before the revision is
     * committed; {@link #appendPayload(RevisionInfo, String)} of the same payload then forces and
     * renames it. A previous staged file is dropped first (its space is this one's).
     *
     * @throws IOException the disk cannot take it (full, read-only): the change must be refused
     */
    synchronized void stage(long revision, String payload) throws IOException {
        dropStaged();
        Path file = dir.resolve(file(revision).getFileName() + ".staged");
        try {
            // written, not forced: the blocks are allocated now (a full disk fails here), and the
            // fsync stays after the commit, where it overlaps the compile (see RevisionAdopter)
            write(file, payload.getBytes(java.nio.charset.StandardCharsets.UTF_8), false);
        } catch (IOException e) {
            Files.deleteIfExists(file); // a partial file would hold the space the next try needs
            throw e;
        }
        staged = new Staged(revision, payload, file);
    }

    private void dropStaged() {
        if (staged != null) {
            try {
                Files.deleteIfExists(staged.file());
            } catch (IOException e) {
                LOG.warn("staged revision file {} could not be removed", staged.file(), e);
            }
            staged = null;
        }
    }

    private static void write(Path file, byte[] bytes, boolean force) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            if (force) {
                ch.force(true);
            }
        }
    }

    /** The newest revision on disk (0 = none). Never waits for a write in progress (an fsync can take tens of ms). */
    long latest() {
        return latest;
    }

    synchronized List<RevisionInfo> list(int limit, long before) {
        NavigableMap<Long, RevisionInfo> view = before > 0 ? index.headMap(before, false) : index;
        List<RevisionInfo> out = new ArrayList<>();
        for (RevisionInfo info : view.descendingMap().values()) {
            if (out.size() >= limit) {
                break;
            }
            out.add(info);
        }
        return out;
    }

    synchronized Optional<GatewayAdmin.Revision> load(long revision) {
        return payload(revision).map(p -> {
            try {
                return parse(p);
            } catch (DefinitionException | RuntimeException e) {
                throw new IllegalStateException("revision " + revision + " cannot be read from " + file(revision), e);
            }
        });
    }

    /** Writes and syncs one revision; returns only once it is durable. */
    synchronized void append(RevisionInfo info, List<ApiDefinition> apis) throws IOException {
        appendPayload(info.revision(), payload(info, apis, List.of()));
    }

    /** The file content of a revision without consumers. */
    static String payload(RevisionInfo info, List<ApiDefinition> apis) {
        return payload(info, apis, List.of());
    }

    /**
     * The revision's file content: its history entry and its full state, as JSON text. Consumers
     * (their keys as hashes only) are written only when there are some, so a state without them
     * has the payload it had before consumers existed.
     */
    static String payload(RevisionInfo info, List<ApiDefinition> apis, List<ConsumerDefinition> consumers) {
        return payload(info, apis, consumers, null);
    }

    /**
     * The revision's file content; a canary's revision (CONTRACT §8) also holds {@code canary}: its
     * parameters as the call gave them, the stable revision's number and APIs, when and by whom.
     */
    static String payload(RevisionInfo info, List<ApiDefinition> apis, List<ConsumerDefinition> consumers, Canary canary) {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("revision", info.revision());
        tree.put("time", info.time().toString());
        tree.put("user", info.user());
        tree.put("source", info.source());
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("added", info.added());
        summary.put("updated", info.updated());
        summary.put("removed", info.removed());
        tree.put("summary", summary);
        tree.put("apis", apis.stream().map(ApiDefinition::toTree).toList());
        if (!consumers.isEmpty()) {
            tree.put("consumers", consumers.stream().map(ConsumerDefinition::toTree).toList());
        }
        if (canary != null) {
            Map<String, Object> c = new LinkedHashMap<>(canary.policy().toParams());
            c.put("stable", canary.stableRevision());
            c.put("startedAt", canary.startedAt().toString());
            c.put("user", canary.user());
            c.put("stableApis", canary.stableApis().values().stream().map(ApiDefinition::toTree).toList());
            tree.put("canary", c);
        }
        return new String(Json.write(tree), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A payload read once: its revision and, for a canary's revision, the canary (else null). */
    record Read(GatewayAdmin.Revision revision, Canary canary) {
    }

    /** Reads a payload written by {@link #payload}. */
    static GatewayAdmin.Revision parse(String payload) throws DefinitionException {
        return read(payload).revision();
    }

    /** Reads a payload written by {@link #payload}, its canary too. */
    static Read read(String payload) throws DefinitionException {
        Map<?, ?> tree = (Map<?, ?>) Json.read(payload.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        List<ApiDefinition> apis = new ArrayList<>();
        for (Object api : (List<?>) tree.get("apis")) {
            apis.add(DefinitionParser.fromTree(api));
        }
        List<ConsumerDefinition> consumers = new ArrayList<>();
        if (tree.get("consumers") instanceof List<?> list) {
            for (Object consumer : list) {
                consumers.add(DefinitionParser.consumerFromTree(consumer));
            }
        }
        return new Read(new GatewayAdmin.Revision(info(tree), apis, consumers), canary(tree));
    }

    private static Canary canary(Map<?, ?> tree) throws DefinitionException {
        if (!(tree.get("canary") instanceof Map<?, ?> c)) {
            return null;
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (String name : CanaryPolicy.PARAMS) {
            if (c.get(name) != null) {
                params.put(name, String.valueOf(c.get(name)));
            }
        }
        Map<String, ApiDefinition> stableApis = new LinkedHashMap<>();
        for (Object api : (List<?>) c.get("stableApis")) {
            ApiDefinition a = DefinitionParser.fromTree(api);
            stableApis.put(a.id(), a);
        }
        return new Canary(CanaryPolicy.parse(params), ((Number) c.get("stable")).longValue(), stableApis,
            Instant.parse(String.valueOf(c.get("startedAt"))), String.valueOf(c.get("user")));
    }

    /** The stored payload of a revision. */
    synchronized Optional<String> payload(long revision) {
        if (!index.containsKey(revision)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(file(revision), java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("revision " + revision + " cannot be read from " + file(revision), e);
        }
    }

    /** Writes and syncs one revision given as its payload; returns only once it is durable. */
    synchronized void appendPayload(long revision, String payload) throws IOException {
        RevisionInfo info;
        try {
            info = info((Map<?, ?>) Json.read(payload.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (DefinitionException e) {
            throw new IOException("revision " + revision + " has an unreadable payload", e);
        }
        appendPayload(info, payload);
    }

    /** Writes and syncs one revision whose history entry is known already (no parse); returns once it is durable. */
    synchronized void appendPayload(RevisionInfo info, String payload) throws IOException {
        long revision = info.revision();
        Path target = file(revision);
        Path tmp;
        if (staged != null && staged.revision() == revision && staged.payload().equals(payload)) {
            tmp = staged.file(); // written before the commit
            staged = null;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        } else {
            if (staged != null && staged.revision() <= revision) {
                dropStaged(); // another node's revision took its number
            }
            tmp = dir.resolve(target.getFileName() + ".tmp");
            write(tmp, payload.getBytes(java.nio.charset.StandardCharsets.UTF_8), true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            LOG.debug("directory sync not supported for {}", dir, e);
        }
        index.put(revision, info);
        latest = index.lastKey();
    }

    /** Deletes the files of all but the newest {@code keep} revisions (the bound of {@code MERIDIAN_REVISIONS_KEEP}). */
    synchronized void keepNewest(int keep) throws IOException {
        while (index.size() > keep) {
            long oldest = index.firstKey();
            Files.deleteIfExists(file(oldest));
            index.remove(oldest);
        }
    }

    private Path file(long revision) {
        return dir.resolve(String.format("rev-%012d.json", revision));
    }

    @SuppressWarnings("unchecked")
    private static RevisionInfo info(Map<?, ?> tree) {
        Map<String, Object> summary = (Map<String, Object>) tree.get("summary");
        return new RevisionInfo(((Number) tree.get("revision")).longValue(), Instant.parse((String) tree.get("time")),
            (String) tree.get("user"), (String) tree.get("source"), strings(summary.get("added")),
            strings(summary.get("updated")), strings(summary.get("removed")));
    }

    private static List<String> strings(Object list) {
        return list == null ? List.of() : ((List<?>) list).stream().map(String::valueOf).toList();
    }
}
