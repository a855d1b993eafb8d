package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SpoolFileTest {

    @TempDir
    Path dir;
    private final ExecutorService io = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        io.shutdownNow();
    }

    private SpoolFile create(Path in) throws Exception {
        CompletableFuture<SpoolFile> f = new CompletableFuture<>();
        SpoolFile.create(in, io, Promise.from(f::complete, f::completeExceptionally));
        return f.get(10, TimeUnit.SECONDS);
    }

    private static CompletableFuture<Void> done(java.util.function.Consumer<Callback> call) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        call.accept(Callback.from(() -> f.complete(null), f::completeExceptionally));
        return f;
    }

    /** Descriptors this process holds on files of {@code dir} (Linux). */
    private long open() throws IOException {
        Path fds = Paths.get("/proc/self/fd");
        assumeTrue(Files.isDirectory(fds), "needs /proc");
        try (Stream<Path> all = Files.list(fds)) {
            return all.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith(dir.toString());
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        }
    }

    @Test
    void should_leave_no_name_in_the_directory_and_read_back_what_was_appended() throws Exception {
        SpoolFile f = create(dir);
        try (Stream<Path> names = Files.list(dir)) {
            assertEquals(0, names.count(), "unlinked as soon as it is open");
        }
        byte[] a = new byte[70_000];
        byte[] b = new byte[5];
        new Random(1).nextBytes(a);
        new Random(2).nextBytes(b);
        done(cb -> f.append(ByteBuffer.wrap(a), cb)).get(10, TimeUnit.SECONDS);
        done(cb -> f.append(ByteBuffer.wrap(b), cb)).get(10, TimeUnit.SECONDS);
        assertEquals(70_005, f.size());
        ByteBuffer back = ByteBuffer.allocate(10);
        done(cb -> f.read(69_995, back, cb)).get(10, TimeUnit.SECONDS);
        byte[] expected = new byte[10];
        System.arraycopy(a, 69_995, expected, 0, 5);
        System.arraycopy(b, 0, expected, 5, 5);
        assertArrayEquals(expected, back.array());
        f.close();
    }

    @Test
    void should_free_its_descriptor_on_close_once_and_fail_what_comes_after() throws Exception {
        long before = open();
        SpoolFile f = create(dir);
        assertEquals(before + 1, open());
        f.close();
        f.close(); // idempotent
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> open() == before);
        CompletableFuture<Void> late = done(cb -> f.append(ByteBuffer.allocate(1), cb));
        assertTrue(late.handle((v, x) -> x).get(10, TimeUnit.SECONDS) instanceof IOException);
    }

    @Test
    void should_fail_reading_past_its_end() throws Exception {
        SpoolFile f = create(dir);
        done(cb -> f.append(ByteBuffer.allocate(3), cb)).get(10, TimeUnit.SECONDS);
        Throwable x = done(cb -> f.read(0, ByteBuffer.allocate(4), cb)).handle((v, t) -> t).get(10, TimeUnit.SECONDS);
        assertInstanceOf(java.io.EOFException.class, x);
        f.close();
    }

    @Test
    void should_fail_creation_in_a_missing_directory_and_when_its_executor_is_stopped() throws Exception {
        CompletableFuture<SpoolFile> missing = new CompletableFuture<>();
        SpoolFile.create(dir.resolve("gone"), io, Promise.from(missing::complete, missing::completeExceptionally));
        assertInstanceOf(NoSuchFileException.class, missing.handle((v, x) -> x).get(10, TimeUnit.SECONDS));
        io.shutdown();
        CompletableFuture<SpoolFile> stopped = new CompletableFuture<>();
        SpoolFile.create(dir, io, Promise.from(stopped::complete, stopped::completeExceptionally));
        assertInstanceOf(IOException.class, stopped.handle((v, x) -> x).get(10, TimeUnit.SECONDS));
    }
}
