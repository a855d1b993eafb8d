package dev.meridian.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Lowering threads' OS priority by name, on this JVM's real threads (Linux): a thread of the test's
 * own is found in {@code /proc/self/task} by its name and reniced, once; others are left alone.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CompilerThreadsTest {

    private static final Path TASKS = Paths.get("/proc/self/task");

    @Test
    void should_read_the_nice_value_after_a_name_with_spaces_and_parentheses() {
        String stat = "4242 (C2 Compiler) x) S 1 4240 4240 0 -1 4194368 10 0 0 0 82 4 0 0 30 10 1 0 12345 0 0";
        assertEquals(10, CompilerThreads.niceOf(stat));
        assertEquals(-5, CompilerThreads.niceOf("1 (java) R 0 1 1 0 -1 0 0 0 0 0 1 1 0 0 15 -5 30 0 1 0 0"));
    }

    @Test
    void should_know_hotspots_compiler_threads_by_name() {
        assertTrue(CompilerThreads.JIT.test("C1 CompilerThre"));
        assertTrue(CompilerThreads.JIT.test("C2 CompilerThre"));
        assertTrue(!CompilerThreads.JIT.test("meridian-engine") && !CompilerThreads.JIT.test("VM Thread"));
    }

    @Test
    void should_lower_only_the_named_threads_and_only_once() throws Exception {
        assumeTrue(Files.isDirectory(TASKS), "Linux /proc");
        CountDownLatch end = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        Thread victim = new Thread(() -> {
            running.countDown(); // the JVM names the OS thread before run(): from here on /proc shows it
            try {
                end.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "jit-nice-victim");
        victim.start();
        try {
            assertTrue(running.await(10, TimeUnit.SECONDS));
            String tid = tidOf("jit-nice-victim");
            for (int i = 0; tid.isEmpty() && i < 100; i++) {
                Thread.sleep(50); // Thread.start() returns before the new thread has named itself
                tid = tidOf("jit-nice-victim");
            }
            assertTrue(!tid.isEmpty(), "the test's thread is in /proc/self/task");
            int before = CompilerThreads.niceOf(Files.readString(TASKS.resolve(tid).resolve("stat"), StandardCharsets.UTF_8));
            int target = Math.min(19, before + 3);
            java.util.Map<String, Integer> othersBefore = nices();
            othersBefore.remove(tid);

            List<String> lowered = CompilerThreads.lower(TASKS, "jit-nice-victim"::equals, target);

            assertEquals(List.of(tid), lowered);
            assertEquals(target, CompilerThreads.niceOf(Files.readString(TASKS.resolve(tid).resolve("stat"), StandardCharsets.UTF_8)));
            assertEquals(List.of(), CompilerThreads.lower(TASKS, "jit-nice-victim"::equals, target), "already there: nothing spawned");
            java.util.Map<String, Integer> othersAfter = nices();
            othersAfter.keySet().retainAll(othersBefore.keySet());
            othersBefore.keySet().retainAll(othersAfter.keySet());
            assertEquals(othersBefore, othersAfter, "only the named thread moved");
        } finally {
            end.countDown();
            victim.join(5_000);
        }
    }

    /** Every thread's nice value, by thread id. */
    private static java.util.Map<String, Integer> nices() throws Exception {
        java.util.Map<String, Integer> out = new java.util.HashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(TASKS)) {
            for (Path task : dirs) {
                try {
                    out.put(task.getFileName().toString(), CompilerThreads.niceOf(Files.readString(task.resolve("stat"), StandardCharsets.UTF_8)));
                } catch (java.io.IOException gone) {
                    // ended meanwhile
                }
            }
        }
        return out;
    }

    private static String tidOf(String name) throws Exception {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(TASKS)) {
            for (Path task : dirs) {
                if (Files.readString(task.resolve("comm"), StandardCharsets.UTF_8).strip().equals(name)) {
                    return task.getFileName().toString();
                }
            }
        }
        return "";
    }
}
