package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.sun.net.httpserver.HttpExchange;

/**
 * Issue 11 item 5 from outside: every request body is received whole before the upstream call
 * (memory, then a spool file), one node in front of an upstream that records every request it
 * sees and every body it read to the end. Trickled bodies over the memory bound and chunked ones
 * never reach the upstream; bodies of 1 B to 10 MiB arrive byte for byte; a chunked body past
 * 10 MiB is refused while it is being sent; clients that vanish leave no file open; concurrent
 * uploads stay within {@code MERIDIAN_BODY_MEMORY}; a full spool disk answers 503. The spool
 * directory is a small tmpfs mounted for this class (as root; the disk-full test is skipped
 * otherwise). Ports 28600-28602, Hazelcast 6011.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class RequestBodyE2EIT {

    private static final int HTTP = 28600;
    private static final long GRACE_MS = 2_000;
    private static final int BUFFER = 64 * 1024;
    private static final long MEMORY = 1024 * 1024;
    private static final int MAX_BODY = 10 * 1024 * 1024;
    private static final Path SPOOL = Paths.get("target", "body-e2e", "spool").toAbsolutePath();
    /** Why the tmpfs mount failed, or null when mounted. */
    private static final String NOT_MOUNTED = Tmpfs.mount(SPOOL, "32m");

    /** What the upstream saw per raw path: heads, and each body read to the end (hash, length, its framing). */
    static final Map<String, AtomicInteger> HEADS = new ConcurrentHashMap<>();
    static final Map<String, List<Object>> BODIES = new ConcurrentHashMap<>();

    private static void answer(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        HEADS.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        try (InputStream in = ex.getRequestBody()) {
            byte[] read = in.readAllBytes();
            BODIES.put(path, List.of(Arrays.hashCode(read), read.length,
                String.valueOf(ex.getRequestHeaders().getFirst("Content-Length")),
                String.valueOf(ex.getRequestHeaders().getFirst("Transfer-Encoding"))));
        } catch (IOException cut) {
            ex.close();
            return;
        }
        ex.sendResponseHeaders(200, -1);
        ex.close();
    }

    @RegisterExtension
    static final MeridianCluster<HttpUpstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("rb1", HTTP, 6011))
        .env("MERIDIAN_HEADER_TIMEOUT", "3s")
        .env("MERIDIAN_BODY_GRACE", GRACE_MS + "ms")
        .env("MERIDIAN_MIN_BODY_RATE", "1024")
        .env("MERIDIAN_BODY_BUFFER", "64k")
        .env("MERIDIAN_BODY_MEMORY", "1m")
        .env("MERIDIAN_BODY_TEMP", SPOOL.toString())
        .upstream(HttpUpstream.with(64, 1024).on("/", RequestBodyE2EIT::answer))
        .api("rb", up -> String.join("\n", "id: rb", "basePath: /rb",
            "upstream: { url: '" + up.url("/up") + "', timeout: 30s }", ""))
        .build();

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();

    @AfterAll
    static void unmount() {
        Tmpfs.unmount(SPOOL);
    }

    private static MeridianNode node() {
        return CLUSTER.node(0);
    }

    private static int heads(String prefix) {
        return HEADS.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToInt(e -> e.getValue().get()).sum();
    }

    private static long metric(String name) throws Exception {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)")
            .matcher(node().get(node().adminUrl("/metrics"), false).body());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Descriptors the node holds on files of the spool (unlinked at once, so listed only here). */
    private static long openSpoolFiles() throws IOException {
        Path fds = Paths.get("/proc", Long.toString(node().jvm().pid()), "fd");
        try (Stream<Path> all = Files.list(fds)) {
            return all.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith(SPOOL.toString());
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        }
    }

    /** The spool directory holds no name and the node no open file of it. */
    private static void assertSpoolEmpty() {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> openSpoolFiles() == 0);
        try (Stream<Path> names = Files.list(SPOOL)) {
            List<Path> left = names.filter(p -> !p.getFileName().toString().equals("filler")).toList();
            assertEquals(List.of(), left, "names left in the spool directory");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    /** A chunked request head, its body to follow in {@link #chunk}s. */
    private static byte[] chunkedHead(String target) {
        return ("POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] chunk(byte[] data, int from, int n) {
        byte[] size = (Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[size.length + n + 2];
        System.arraycopy(size, 0, out, 0, size.length);
        System.arraycopy(data, from, out, size.length, n);
        out[out.length - 2] = '\r';
        out[out.length - 1] = '\n';
        return out;
    }

    // ---- trickled bodies never reach the upstream -----------------------------------------------

    @Test
    void should_not_call_the_upstream_for_trickled_bodies_over_the_buffer_or_chunked_and_cut_them_after_the_grace()
        throws Exception {
        int n = 5;
        List<SocketChannel> channels = new ArrayList<>();
        long[] closedAfter = new long[2 * n];
        try {
            long start = System.nanoTime();
            for (int i = 0; i < 2 * n; i++) {
                SocketChannel ch = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), HTTP));
                byte[] head = i < n
                    ? ("POST /rb/trickle-length-" + i + " HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                        + "Content-Length: " + (BUFFER + 1) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII)
                    : chunkedHead("/rb/trickle-chunked-" + i);
                ch.write(ByteBuffer.wrap(head));
                ch.configureBlocking(false);
                channels.add(ch);
            }
            byte[] ten = "0123456789".getBytes(StandardCharsets.US_ASCII);
            ByteBuffer sink = ByteBuffer.allocate(4096);
            int open = 2 * n;
            long deadline = start + TimeUnit.MILLISECONDS.toNanos(GRACE_MS + 5_000);
            while (open > 0 && System.nanoTime() < deadline) {
                for (int i = 0; i < 2 * n; i++) {
                    if (closedAfter[i] != 0) {
                        continue;
                    }
                    SocketChannel ch = channels.get(i);
                    int read;
                    try {
                        ch.write(ByteBuffer.wrap(i < n ? ten : chunk(ten, 0, ten.length)));
                        sink.clear();
                        read = ch.read(sink);
                    } catch (IOException reset) {
                        read = -1;
                    }
                    if (read < 0) {
                        closedAfter[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                        open--;
                    }
                }
                Thread.sleep(500); // 10 bytes every 500 ms per connection: 20 B/s
            }
        } finally {
            for (SocketChannel ch : channels) {
                ch.close();
            }
        }
        String report = "closed after " + Arrays.toString(closedAfter) + " ms; upstream heads "
            + heads("/up/trickle-");
        System.out.println("RequestBodyE2EIT trickled bodies (5 of 64k+1, 5 chunked): " + report);
        for (long ms : closedAfter) {
            assertTrue(ms != 0, "a trickled body was never cut: " + report);
            assertTrue(ms >= GRACE_MS - 100 && ms <= GRACE_MS + 1_500, "cut outside grace + one sweep: " + report);
        }
        assertEquals(0, heads("/up/trickle-"), "the upstream saw a request of a trickled body: " + report);
        assertSpoolEmpty();
    }

    // ---- bodies arrive whole ----------------------------------------------------------------------

    @Test
    void should_forward_bodies_of_1_byte_to_10_mib_byte_for_byte_with_a_length_and_chunked() throws Exception {
        long diskBefore = metric("meridian_request_bodies_total{kept=\"disk\"}");
        long memoryBefore = metric("meridian_request_bodies_total{kept=\"memory\"}");
        int[] lengths = {1, BUFFER - 1, BUFFER, BUFFER + 1, 1024 * 1024, MAX_BODY};
        for (int length : lengths) {
            byte[] body = random(length);
            for (boolean chunked : new boolean[] {false, true}) {
                String path = "/whole-" + length + (chunked ? "-chunked" : "-length");
                HttpRequest.BodyPublisher publisher = chunked
                    // an InputStream of unknown length: the JDK client sends it chunked
                    ? HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))
                    : HttpRequest.BodyPublishers.ofByteArray(body);
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(node().trafficUrl("/rb" + path)))
                    .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/octet-stream")
                    .POST(publisher).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), path + ": " + r.body());
                assertEquals(List.of(Arrays.hashCode(body), length, Integer.toString(length), "null"),
                    BODIES.get("/up" + path), path + " reached the upstream whole, with its length, not chunked");
            }
        }
        // 1 B, 64k-1, 64k with a length: memory; chunked the same; the rest on disk
        long disk = metric("meridian_request_bodies_total{kept=\"disk\"}") - diskBefore;
        long memory = metric("meridian_request_bodies_total{kept=\"memory\"}") - memoryBefore;
        System.out.println("RequestBodyE2EIT 12 bodies of 1 B to 10 MiB: " + memory + " kept in memory, " + disk + " on disk");
        assertEquals(6, memory, "1 B to 64 KiB, with a length and chunked");
        assertEquals(6, disk, "64 KiB + 1 to 10 MiB, with a length and chunked");
        assertSpoolEmpty();
    }

    // ---- over 10 MiB ------------------------------------------------------------------------------

    @Test
    void should_answer_413_to_a_chunked_body_past_10_mib_while_it_is_still_being_sent() throws Exception {
        AtomicBoolean sending = new AtomicBoolean(true);
        AtomicBoolean stillSendingAt413 = new AtomicBoolean();
        long sent;
        String status;
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), HTTP)) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            AtomicInteger written = new AtomicInteger();
            Thread writer = new Thread(() -> {
                byte[] piece = new byte[64 * 1024];
                try {
                    out.write(chunkedHead("/rb/too-large"));
                    // 10 MiB + 64 KiB at once, then a chunk every 200 ms without end
                    for (int i = 0; sending.get(); i++) {
                        out.write(chunk(piece, 0, piece.length));
                        written.addAndGet(piece.length);
                        if (i > MAX_BODY / piece.length) {
                            Thread.sleep(200);
                        }
                    }
                } catch (IOException | InterruptedException closed) {
                    // the node closed the connection after its answer: expected
                }
            }, "too-large-writer");
            writer.start();
            byte[] line = new byte[12];
            InputStream in = s.getInputStream();
            int got = 0;
            while (got < line.length) {
                int n = in.read(line, got, line.length - got);
                if (n < 0) {
                    break;
                }
                got += n;
            }
            stillSendingAt413.set(writer.isAlive());
            sent = written.get();
            status = new String(line, 0, got, StandardCharsets.US_ASCII);
            sending.set(false);
            writer.join(10_000);
        }
        System.out.println("RequestBodyE2EIT chunked body over 10 MiB: '" + status + "' after " + sent + " bytes sent");
        assertEquals("HTTP/1.1 413", status);
        assertTrue(stillSendingAt413.get(), "answered while the client was still sending");
        assertTrue(sent < MAX_BODY + 2 * 1024 * 1024, "answered soon after 10 MiB, not at the end: " + sent);
        assertEquals(0, heads("/up/too-large"), "the upstream saw nothing of it");
        assertSpoolEmpty();
    }

    // ---- clients that vanish ----------------------------------------------------------------------

    @Test
    void should_leave_no_file_behind_when_clients_vanish_mid_body() throws Exception {
        byte[] part = random(300 * 1024);
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Socket s = new Socket(InetAddress.getLoopbackAddress(), HTTP);
            s.getOutputStream().write(("POST /rb/vanish-" + i + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + (1024 * 1024)
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(part);
            s.getOutputStream().flush();
            sockets.add(s);
        }
        // every one of them is being spooled: 20 files open
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> openSpoolFiles() >= 20);
        for (int i = 0; i < sockets.size(); i++) {
            Socket s = sockets.get(i);
            if (i % 2 == 0) {
                s.setSoLinger(true, 0); // half of them reset, the others close politely
            }
            s.close();
        }
        assertSpoolEmpty();
        assertEquals(0, heads("/up/vanish-"), "the upstream saw none of them");
    }

    // ---- the memory budget ------------------------------------------------------------------------

    @Test
    void should_keep_concurrent_uploads_within_the_memory_budget_and_spool_the_rest() throws Exception {
        int n = 60;
        int length = 40 * 1024; // within MERIDIAN_BODY_BUFFER: each would be kept in memory alone
        long diskBefore = metric("meridian_request_bodies_total{kept=\"disk\"}");
        long memoryBefore = metric("meridian_request_bodies_total{kept=\"memory\"}");
        List<Socket> sockets = new ArrayList<>();
        List<byte[]> bodies = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                byte[] body = random(length + i);
                bodies.add(body);
                Socket s = new Socket(InetAddress.getLoopbackAddress(), HTTP);
                s.setSoTimeout(30_000);
                s.getOutputStream().write(("POST /rb/budget-" + i + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().write(body, 0, body.length - 1); // all but the last byte: held open
                s.getOutputStream().flush();
                sockets.add(s);
            }
            // 60 x 40 KiB = 2.4 MiB wanted at once: 1 MiB of it in memory, the rest spooled
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> openSpoolFiles() > 0
                && metric("meridian_request_body_memory_bytes") > MEMORY - length - n);
            long held = metric("meridian_request_body_memory_bytes");
            long files = openSpoolFiles();
            assertTrue(held <= MEMORY, "memory held " + held + " > budget " + MEMORY);
            for (int i = 0; i < n; i++) {
                Socket s = sockets.get(i);
                byte[] body = bodies.get(i);
                s.getOutputStream().write(body, body.length - 1, 1);
                s.getOutputStream().flush();
            }
            for (Socket s : sockets) {
                byte[] line = s.getInputStream().readNBytes(12);
                assertEquals("HTTP/1.1 200", new String(line, StandardCharsets.US_ASCII));
            }
            for (int i = 0; i < n; i++) {
                byte[] body = bodies.get(i);
                assertEquals(List.of(Arrays.hashCode(body), body.length, Integer.toString(body.length), "null"),
                    BODIES.get("/up/budget-" + i), "body " + i + " whole");
            }
            long disk = metric("meridian_request_bodies_total{kept=\"disk\"}") - diskBefore;
            long memory = metric("meridian_request_bodies_total{kept=\"memory\"}") - memoryBefore;
            long peak = metric("meridian_request_body_memory_peak_bytes");
            System.out.println("RequestBodyE2EIT " + n + " concurrent uploads of 40 KiB: " + memory + " kept in memory, " + disk
                + " spooled; " + held + " bytes held in memory with " + files + " files open; peak " + peak + " of " + MEMORY);
            assertEquals(n, disk + memory);
            assertTrue(disk >= n - MEMORY / length, "spooled: " + disk);
            assertTrue(peak <= MEMORY, "peak " + peak);
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> metric("meridian_request_body_memory_bytes") == 0);
        assertSpoolEmpty();
    }

    // ---- a full spool disk ------------------------------------------------------------------------

    @Test
    void should_answer_503_when_the_spool_disk_is_full_and_serve_again_when_there_is_room() throws Exception {
        assumeTrue(NOT_MOUNTED == null, NOT_MOUNTED);
        long failures = metric("meridian_request_body_spool_failures_total");
        Path filler = Tmpfs.fill(SPOOL);
        byte[] body = random(200 * 1024);
        try {
            HttpResponse<String> full = client.send(HttpRequest.newBuilder(URI.create(node().trafficUrl("/rb/full")))
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(503, full.statusCode(), full.body());
            assertTrue(full.body().startsWith("{\"error\":"), full.body());
            assertEquals(failures + 1, metric("meridian_request_body_spool_failures_total"));
            assertEquals(0, heads("/up/full"), "the upstream saw nothing of it");
            // a small body needs no disk: served meanwhile
            HttpResponse<String> small = client.send(HttpRequest.newBuilder(URI.create(node().trafficUrl("/rb/small-while-full")))
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString("small")).build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(200, small.statusCode(), small.body());
        } finally {
            Files.delete(filler);
        }
        HttpResponse<String> again = client.send(HttpRequest.newBuilder(URI.create(node().trafficUrl("/rb/full")))
            .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(List.of(Arrays.hashCode(body), body.length, Integer.toString(body.length), "null"), BODIES.get("/up/full"));
        assertTrue(node().logTail(400).contains("the disk is full"), "the failure is logged");
        assertSpoolEmpty();
    }
}
