package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class AccessLogTest {

    @TempDir
    Path dir;

    @Test
    void should_stamp_lines_with_the_utc_time_to_the_millisecond() throws Exception {
        try (AccessLog log = new AccessLog(dir.resolve("access.log"), 1 << 20, 2)) {
            long[] samples = {0L, 999L, 1_000L, 1_764_662_411_005L, 1_764_662_411_050L, 1_764_662_411_123L,
                1_764_662_412_000L, 1_764_662_411_999L, System.currentTimeMillis()};
            for (long millis : samples) {
                String stamp = log.timestamp(new LogLine(), millis).toString();
                Instant parsed = Instant.parse(stamp);
                assertEquals(millis, parsed.toEpochMilli(), stamp);
                assertEquals(24, stamp.length(), stamp); // always three fraction digits
            }
        }
    }

    @Test
    void should_write_every_line_of_many_threads_once() throws Exception {
        Path file = dir.resolve("access.log");
        int threads = 4;
        int perThread = 20_000;
        try (AccessLog log = new AccessLog(file, 1L << 30, 2)) {
            CountDownLatch start = new CountDownLatch(1);
            Thread[] ts = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                int id = t;
                ts[t] = new Thread(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < perThread; i++) {
                        log.log(id + "-" + i);
                    }
                });
                ts[t].start();
            }
            start.countDown();
            for (Thread t : ts) {
                t.join(TimeUnit.SECONDS.toMillis(20));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (Files.readAllLines(file).size() + log.dropped() < threads * perThread && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            List<String> lines = Files.readAllLines(file);
            Set<String> unique = new HashSet<>(lines);
            assertEquals(lines.size(), unique.size(), "no line twice");
            assertEquals(threads * perThread, lines.size() + log.dropped(), "every line written or counted as dropped");
        }
    }

    @Test
    void should_drop_and_count_lines_past_its_capacity_instead_of_waiting() throws Exception {
        Path file = dir.resolve("access.log");
        try (AccessLog log = new AccessLog(file, 1L << 30, 2)) {
            long start = System.nanoTime();
            for (int i = 0; i < 500_000; i++) {
                log.log("line " + i);
            }
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "never waits for the writer");
        }
        long written = Files.readAllLines(file).size();
        assertTrue(written > 0 && written <= 500_000, "written " + written);
    }

    @Test
    void should_move_to_the_next_second_and_back_when_lines_come_out_of_order() throws Exception {
        java.time.format.DateTimeFormatter iso = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(java.time.ZoneOffset.UTC);
        try (AccessLog log = new AccessLog(dir.resolve("access.log"), 1 << 20, 2)) {
            Instant t = Instant.parse("2026-12-31T23:59:59.998Z");
            for (int i : new int[] {0, 1, 2, 3, 1, 1000, 0}) {
                Instant at = t.plus(i, ChronoUnit.MILLIS);
                assertEquals(iso.format(at), log.timestamp(new LogLine(), at.toEpochMilli()).toString());
            }
        }
    }

    /** Waits (polling, at most 10 s) until {@code condition} holds. */
    private static void until(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void should_drop_and_count_lines_while_the_disk_is_full_and_resume_when_it_is_not() throws Exception {
        Path full = Path.of("/dev/full"); // every write fails with ENOSPC
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(full), "needs /dev/full");
        Path file = dir.resolve("access.log");
        Files.createSymbolicLink(file, full);
        try (AccessLog log = new AccessLog(file, 1L << 30, 2)) {
            for (int i = 0; i < 100; i++) {
                log.log("lost-" + i);
            }
            until(() -> log.dropped() == 100, "100 lines dropped, got " + log.dropped());
            log.log("lost-again");
            until(() -> log.dropped() == 101, "a line after the failure dropped too");

            Files.delete(file); // room again: the next try opens a regular file
            Files.createFile(file);
            int[] sent = {0};
            until(() -> {
                log.log("kept-" + sent[0]++); // dropped until the next try (at most a second), then written
                try {
                    return Files.size(file) > 0;
                } catch (java.io.IOException e) {
                    return false;
                }
            }, "lines written again");
            until(() -> {
                try {
                    return Files.readAllLines(file).size() + log.dropped() == 101 + sent[0];
                } catch (java.io.IOException e) {
                    return false;
                }
            }, "every line written or counted");
            List<String> lines = Files.readAllLines(file);
            assertTrue(lines.stream().allMatch(l -> l.startsWith("kept-")), lines.toString());
            assertTrue(lines.size() > 0, "some lines written after the disk had room again");
        }
    }

    /** Line {@code i} of the ring tests: its number and a run of one letter, 1 to 120 characters long. */
    private static String ringLine(int i) {
        return i + ":" + String.valueOf((char) ('a' + i % 26)).repeat(1 + (i * 37) % 120);
    }

    @Test
    void should_keep_every_line_whole_across_the_end_of_its_ring() throws Exception {
        Path file = dir.resolve("access.log");
        int total = 3_000;
        try (AccessLog log = new AccessLog(file, 1L << 30, 2, 512)) { // a ring of 512 bytes wraps every few lines
            for (int i = 0; i < total; i++) {
                // a line the full ring refused is counted and logged again once the writer made room:
                // every line gets in, at every offset of the ring
                long before = log.dropped();
                log.log(ringLine(i));
                while (log.dropped() != before) {
                    Thread.sleep(1);
                    before = log.dropped();
                    log.log(ringLine(i));
                }
            }
            until(() -> {
                try {
                    return Files.readAllLines(file).size() == total;
                } catch (java.io.IOException e) {
                    return false;
                }
            }, "every line written");
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(total, lines.size());
        for (int i = 0; i < total; i++) {
            assertEquals(ringLine(i), lines.get(i), "line " + i + " whole, in order");
        }
    }

    @Test
    void should_let_the_lanes_of_finished_threads_go_once_drained() throws Exception {
        Path file = dir.resolve("access.log");
        int threads = 50;
        try (AccessLog log = new AccessLog(file, 1L << 30, 2, 4096)) {
            for (int t = 0; t < threads; t++) { // one after the other, as a pool replaces its idle threads
                int id = t;
                Thread thread = new Thread(() -> {
                    for (int i = 0; i < 10; i++) {
                        log.log("t" + id + "-" + i);
                    }
                });
                thread.start();
                thread.join(TimeUnit.SECONDS.toMillis(5));
            }
            until(() -> log.lanes() == 0, "the dead threads' lanes gone, held " + log.lanes());
            List<String> lines = Files.readAllLines(file);
            assertEquals(threads * 10, lines.size() + log.dropped());
            assertEquals(threads * 10, new HashSet<>(lines).size(), "every line of the dead threads written once");
        }
    }
}
