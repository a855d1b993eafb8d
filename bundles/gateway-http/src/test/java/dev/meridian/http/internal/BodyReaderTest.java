package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.content.AsyncContent;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BodyReaderTest {

    @TempDir
    Path dir;
    private BodyStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    /** What a reader handed over: the body or the refusal, at most once. */
    private static final class Outcome implements BodyReader.Outcome {
        final CompletableFuture<Request.Content> body = new CompletableFuture<>();
        volatile int status;
        volatile int calls;

        @Override
        public void kept(Request.Content b) {
            calls++;
            body.complete(b);
        }

        @Override
        public void refused(int s, String message) {
            calls++;
            status = s;
            body.completeExceptionally(new IOException(s + " " + message));
        }

        byte[] bytes() throws Exception {
            Request.Content c = body.get(10, TimeUnit.SECONDS);
            ByteBuffer b = Content.Source.asByteBuffer(c);
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        }

        int refusal() {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status != 0);
            return status;
        }
    }

    private BodyStore store(long perBody, long memory) throws IOException {
        store = BodyStore.open(dir, perBody, memory);
        return store;
    }

    private BodyReader start(AsyncContent source, long declared, Outcome out) {
        BodyReader reader = new BodyReader(source, declared, "application/octet-stream", store, Runnable::run, out);
        reader.start();
        return reader;
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    /** Writes {@code body} in pieces of {@code piece} bytes, the last one last (a chunked body ends with an empty last chunk). */
    private static void write(AsyncContent source, byte[] body, int piece, boolean emptyLast) {
        for (int at = 0; at < body.length; at += piece) {
            int n = Math.min(piece, body.length - at);
            boolean last = !emptyLast && at + n == body.length;
            source.write(last, ByteBuffer.wrap(body, at, n), Callback.NOOP);
        }
        if (emptyLast) {
            source.write(true, ByteBuffer.allocate(0), Callback.NOOP);
        }
    }

    /** Open descriptors of this process on deleted files of the spool directory (Linux). */
    private long openSpoolFiles() throws IOException {
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
    void should_read_a_body_that_came_with_its_head_at_once_into_an_array_of_its_length() throws Exception {
        store(64 * 1024, 1 << 20);
        AsyncContent source = new AsyncContent();
        source.write(true, ascii("hello world"), Callback.NOOP);
        Outcome out = new Outcome();
        BodyReader reader = start(source, 11, out);
        assertTrue(out.body.isDone(), "read in start()");
        assertEquals("hello world", new String(out.bytes(), StandardCharsets.US_ASCII));
        assertEquals(11, reader.capacity());
        assertEquals(11, store.memory().used(), "reserved while the exchange lasts");
        reader.release();
        assertEquals(0, store.memory().used(), "given back when it ends");
        assertEquals(1, out.calls);
    }

    @Test
    void should_wait_for_a_trickled_body_on_demand_and_hand_it_over_whole() throws Exception {
        store(64 * 1024, 1 << 20);
        AsyncContent source = new AsyncContent();
        Outcome out = new Outcome();
        start(source, 10, out);
        assertFalse(out.body.isDone(), "nothing arrived yet");
        source.write(false, ascii("012"), Callback.NOOP);
        assertFalse(out.body.isDone(), "3 of 10 bytes");
        source.write(false, ascii("3456"), Callback.NOOP);
        source.write(true, ascii("789"), Callback.NOOP);
        assertEquals("0123456789", new String(out.bytes(), StandardCharsets.US_ASCII));
        assertEquals(1, out.calls);
    }

    @Test
    void should_grow_with_what_arrived_not_with_the_declared_length() throws Exception {
        store(64 * 1024, 1 << 20);
        AsyncContent source = new AsyncContent();
        Outcome out = new Outcome();
        BodyReader reader = start(source, 65_536, out);
        source.write(false, ascii("x"), Callback.NOOP);
        assertEquals(BodyReader.MIN_CAPACITY, reader.capacity(), "one byte of a declared 64 KiB");
        assertEquals(BodyReader.MIN_CAPACITY, store.memory().used(), "and that much of the budget");
        source.write(false, ByteBuffer.allocate(5_000), Callback.NOOP);
        assertEquals(2 * BodyReader.MIN_CAPACITY, reader.capacity());
        source.write(true, ByteBuffer.allocate(65_536 - 5_001), Callback.NOOP);
        byte[] body = out.bytes();
        assertEquals(65_536, body.length);
        assertEquals('x', body[0]);
        assertFalse(reader.onDisk());
        assertEquals(65_536, store.memory().used());
    }

    @Test
    void should_refuse_400_and_hold_nothing_when_the_clients_body_fails() throws Exception {
        store(64 * 1024, 1 << 20);
        AsyncContent source = new AsyncContent();
        Outcome out = new Outcome();
        start(source, 10, out);
        source.write(false, ascii("01"), Callback.NOOP);
        source.fail(new IOException("connection closed by the sweeper"));
        assertEquals(400, out.refusal());
        assertEquals(0, store.memory().used());
        assertEquals(1, out.calls);
    }

    @Test
    void should_refuse_400_when_the_body_ends_before_its_length() throws Exception {
        store(64 * 1024, 1 << 20);
        AsyncContent source = new AsyncContent();
        Outcome out = new Outcome();
        start(source, 10, out);
        source.write(true, ascii("01234"), Callback.NOOP);
        assertEquals(400, out.refusal());
    }

    @Test
    void should_refuse_a_body_longer_than_its_length_and_fail_the_source() throws Exception {
        store(64 * 1024, 1 << 20);
        AsyncContent source = new AsyncContent();
        Outcome out = new Outcome();
        start(source, 3, out);
        source.write(false, ascii("01234"), Callback.NOOP);
        assertEquals(400, out.refusal());
        assertTrue(Content.Chunk.isFailure(source.read()), "the source was failed");
    }

    @Test
    void should_spool_a_declared_length_over_the_buffer_to_an_unlinked_file_and_send_it_from_there() throws Exception {
        store(64 * 1024, 1 << 20);
        byte[] body = random(300_000);
        AsyncContent source = new AsyncContent();
        Outcome out = new Outcome();
        long before = openSpoolFiles();
        BodyReader reader = start(source, body.length, out);
        write(source, body, 7_000, false);
        assertArrayEquals(body, out.bytes());
        assertTrue(reader.onDisk());
        assertEquals(0, store.memory().used(), "nothing of it in memory");
        try (Stream<Path> names = Files.list(dir)) {
            assertEquals(0, names.count(), "the file's name is gone as soon as it is open");
        }
        assertEquals(before + 1, openSpoolFiles(), "open while the exchange lasts");
        assertEquals(body.length, out.body.get().getLength(), "sent with its length");
        reader.release();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> openSpoolFiles() == before);
    }

    @Test
    void should_keep_a_chunked_body_in_memory_then_move_it_to_disk_past_the_buffer() throws Exception {
        store(64 * 1024, 1 << 20);
        byte[] body = random(200_001);
        AsyncContent source = new AsyncContent();
        Outcome out = new Outcome();
        BodyReader reader = start(source, -1, out);
        write(source, body, 10_000, true);
        assertArrayEquals(body, out.bytes());
        assertTrue(reader.onDisk());
        assertEquals(0, store.memory().used(), "the array was given back once written to the file");
        reader.release();
    }

    @Test
    void should_keep_a_small_chunked_body_in_memory() throws Exception {
        store(64 * 1024, 1 << 20);
        byte[] body = random(20_000);
        AsyncContent source = new AsyncContent();
        Outcome out = new Outcome();
        BodyReader reader = start(source, -1, out);
        write(source, body, 3_000, true);
        assertArrayEquals(body, out.bytes());
        assertFalse(reader.onDisk());
        assertEquals(20_000, out.body.get().getLength());
    }

    @Test
    void should_send_a_small_body_to_disk_when_the_memory_budget_is_spent() throws Exception {
        store(64 * 1024, 10_000);
        AsyncContent first = new AsyncContent();
        Outcome holds = new Outcome();
        BodyReader holder = start(first, 9_000, holds);
        first.write(false, ByteBuffer.allocate(8_999), Callback.NOOP); // 8,999 of 9,000: holds 8,999 of the 10,000
        assertEquals(8_999, store.memory().used());
        byte[] body = random(2_000);
        AsyncContent second = new AsyncContent();
        Outcome out = new Outcome();
        BodyReader reader = start(second, body.length, out);
        write(second, body, 500, false);
        assertArrayEquals(body, out.bytes());
        assertTrue(reader.onDisk(), "the budget had 1,001 bytes left");
        assertTrue(store.memory().peak() <= 10_000);
        first.write(true, ByteBuffer.allocate(1), Callback.NOOP);
        assertEquals(9_000, holds.bytes().length);
        holder.release();
        reader.release();
        assertEquals(0, store.memory().used());
    }

    @Test
    void should_refuse_413_as_soon_as_a_chunked_body_passes_10_mib_and_free_its_file() throws Exception {
        store(64 * 1024, 1 << 20);
        AsyncContent source = new AsyncContent();
        Outcome out = new Outcome();
        long before = openSpoolFiles();
        start(source, -1, out);
        byte[] piece = new byte[64 * 1024];
        for (int i = 0; i < 160; i++) { // exactly 10 MiB: still accepted
            CompletableFuture<Void> written = new CompletableFuture<>();
            source.write(false, ByteBuffer.wrap(piece), Callback.from(() -> written.complete(null)));
            written.get(10, TimeUnit.SECONDS);
        }
        assertFalse(out.body.isDone(), "10 MiB is the limit, not past it");
        source.write(false, ascii("x"), Callback.NOOP); // one byte more, and no end in sight
        assertEquals(413, out.refusal());
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> openSpoolFiles() == before);
    }

    @Test
    void should_refuse_503_when_the_spool_cannot_be_written() throws Exception {
        store(64 * 1024, 1 << 20);
        Files.delete(dir); // no directory left to create the file in
        AsyncContent source = new AsyncContent();
        Outcome out = new Outcome();
        start(source, 100_000, out);
        source.write(false, ByteBuffer.allocate(1_000), Callback.NOOP);
        assertEquals(503, out.refusal());
        StringBuilder metrics = new StringBuilder();
        store.metrics(metrics);
        assertTrue(metrics.toString().contains("meridian_request_body_spool_failures_total 1"), metrics.toString());
        Files.createDirectories(dir);
    }

    @Test
    void should_empty_its_directory_at_start_and_keep_it_to_its_owner() throws Exception {
        Files.writeString(dir.resolve("body-left-over.tmp"), "from a previous process");
        Files.createDirectories(dir.resolve("sub")).resolve("x");
        store(64 * 1024, 1 << 20);
        try (Stream<Path> names = Files.list(dir)) {
            assertEquals(0, names.count());
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }
}
