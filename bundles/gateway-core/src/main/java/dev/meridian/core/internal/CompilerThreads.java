package dev.meridian.core.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.Settings;

/**
 * Runs the JVM's JIT compiler threads at a lower OS priority ({@code nice}
 * {@code MERIDIAN_JIT_NICE}, default {@value #DEFAULT_NICE}; 0 leaves them as they are), on Linux.
 *
 * <p>Why: a node's first minutes compile a great deal (measured on three fresh nodes of two
 * cores, {@code bench/propagation.sh}: 7,200 compilations and 15 s of compiler time per node in
 * its first 50 s, close to half of the box), and at the JVM's default priority that work takes
 * the CPU from the threads an apply waits for, on every node at once. Compiling can wait a few
 * milliseconds; an apply, a request, a heartbeat cannot. At nice 10 the compiler threads still get
 * every idle cycle and about a tenth of a busy core; measured in alternating runs on one build,
 * propagation p99 34.9, 33.1 and 38.8 ms against 50.6, 34.2 and 41.4 ms at nice 0
 * ({@code bench/README.md}, 2026-12-06). Lowering a thread's own priority needs no privilege.
 *
 * <p>How: there is no Java API for a thread's OS priority (the JVM's own
 * {@code -XX:CompilerThreadPriority} takes effect only as root), so the compiler threads are
 * found by name in {@code /proc/self/task} and lowered with {@code renice}, once at start and
 * again every {@value #RESCAN_SECONDS} s for compiler threads the JVM starts later (their number
 * grows with the queue). A thread whose nice is that value or higher already is left alone, so a rescan spawns
 * nothing in the usual case. Without {@code /proc} or {@code renice} it logs once and stops.
 */
@Component(immediate = true)
public final class CompilerThreads {

    private static final Logger LOG = LoggerFactory.getLogger(CompilerThreads.class);
    static final int DEFAULT_NICE = 10;
    static final int RESCAN_SECONDS = 10;
    private static final Path TASKS = Paths.get("/proc/self/task");
    /** HotSpot's compiler threads ({@code comm} is cut at 15 characters): "C1 CompilerThread0", "C2 CompilerThread1". */
    static final Predicate<String> JIT = name -> name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre");

    private ScheduledExecutorService timer;

    @Activate
    void activate() {
        int nice = Settings.integer("MERIDIAN_JIT_NICE", DEFAULT_NICE);
        if (nice <= 0) {
            LOG.info("MERIDIAN_JIT_NICE={}: the JIT compiler threads keep the JVM's priority", nice);
            return;
        }
        if (nice > 19) {
            throw new IllegalArgumentException("MERIDIAN_JIT_NICE must be 0 to 19, got " + nice);
        }
        if (!Files.isDirectory(TASKS)) {
            LOG.info("no /proc/self/task here: the JIT compiler threads keep the JVM's priority");
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meridian-jit-priority");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                List<String> lowered = lower(TASKS, JIT, nice);
                if (!lowered.isEmpty()) {
                    LOG.info("JIT compiler threads {} now run at nice {} (MERIDIAN_JIT_NICE)", lowered, nice);
                }
            } catch (IOException | RuntimeException e) {
                LOG.info("the JIT compiler threads keep the JVM's priority: {}", e.toString());
                timer.shutdown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, 0, RESCAN_SECONDS, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    /**
     * Lowers each thread under {@code tasks} whose name {@code names} accepts to {@code nice},
     * unless its nice is that or higher already; returns the ids of those it lowered.
     *
     * @throws IOException when {@code renice} cannot be run or refuses
     */
    static List<String> lower(Path tasks, Predicate<String> names, int nice) throws IOException, InterruptedException {
        List<String> lowered = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tasks)) {
            for (Path task : dirs) {
                String name;
                int current;
                try {
                    name = Files.readString(task.resolve("comm"), StandardCharsets.UTF_8).strip();
                    if (!names.test(name)) {
                        continue;
                    }
                    current = niceOf(Files.readString(task.resolve("stat"), StandardCharsets.UTF_8));
                } catch (IOException gone) {
                    continue; // the thread ended while we looked
                }
                if (current >= nice) {
                    continue;
                }
                String tid = task.getFileName().toString();
                Process p = new ProcessBuilder("renice", "-n", Integer.toString(nice), "-p", tid).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    p.destroyForcibly();
                    throw new IOException("renice -n " + nice + " -p " + tid + " (" + name + ") failed: " + out);
                }
                lowered.add(tid);
            }
        }
        return lowered;
    }

    /** The nice value in a {@code /proc/<pid>/task/<tid>/stat} line (field 19; the name before it may hold spaces). */
    static int niceOf(String stat) {
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Integer.parseInt(after[16]);
    }
}
