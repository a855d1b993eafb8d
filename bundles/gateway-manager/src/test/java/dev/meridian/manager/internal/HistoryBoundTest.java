package dev.meridian.manager.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.meridian.manager.RevisionInfo;

/** {@code MERIDIAN_REVISIONS_KEEP}: the store keeps the newest revisions, on disk and in its listing. */
class HistoryBoundTest {

    @TempDir
    Path dir;

    @Test
    void should_keep_the_newest_revisions_and_delete_older_files() throws Exception {
        RevisionStore store = new RevisionStore(dir);
        for (long r = 1; r <= 8; r++) {
            store.append(new RevisionInfo(r, Instant.now(), "admin", "api", List.of(), List.of(), List.of()), List.of());
            store.keepNewest(3);
        }

        assertEquals(List.of(8L, 7L, 6L), store.list(100, 0).stream().map(RevisionInfo::revision).toList());
        assertTrue(store.load(5).isEmpty());
        assertTrue(store.load(6).isPresent(), "the oldest kept one is whole: a rollback target");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(3, files.count());
        }
        assertEquals(List.of(8L, 7L, 6L), new RevisionStore(dir).list(100, 0).stream().map(RevisionInfo::revision).toList());
    }
}
