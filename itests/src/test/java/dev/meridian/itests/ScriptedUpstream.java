package dev.meridian.itests;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import dev.meridian.itests.RawHttpClient.Field;

/**
 * An HTTP/1.1 origin on loopback that sends exactly the bytes a test scripts: header lines in
 * the order and case written (duplicates and odd values included), {@code Transfer-Encoding:
 * chunked} bodies with extensions and trailers, interim 1xx responses before the final one,
 * 304s, or a connection closed without an answer. Keep-alive, one thread per connection.
 *
 * <p>Each test registers its own path ({@link #on}) with a {@link Script}: the answer to the
 * 1st, 2nd, ... request to that path, which may depend on the request (a 304 when {@code
 * If-None-Match} matches, say). Every request is recorded per path with its method, header
 * lines (bytes as received) and the connection it came on, so a test can tell "answered from
 * the cache" (the origin saw one request) from "revalidated with If-None-Match". A path
 * nobody registered gets 404 {@code no-store}.
 */
final class ScriptedUpstream implements Upstream {

    /** How to answer the {@code nth} request (1-based, counting every method) to one path. */
    @FunctionalInterface
    interface Script {
        Answer answer(Received request, int nth);

        /** The {@code nth} answer of the list; the last one again after it runs out. */
        static Script sequence(Answer... answers) {
            List<Answer> list = List.of(answers);
            return (request, nth) -> list.get(Math.min(nth, list.size()) - 1);
        }

        static Script always(Answer answer) {
            return (request, nth) -> answer;
        }
    }

    /**
     * One request as the origin received it.
     *
     * @param connection which accepted connection it came on (0, 1, ... in accept order)
     * @param method the method token
     * @param target the request target (path and query)
     * @param fields the header lines in order, values as ISO-8859-1 chars (one per byte)
     * @param body the body after removing any chunked coding
     * @param at when its head was read
     */
    record Received(int connection, String method, String target, List<Field> fields, byte[] body, Instant at) {

        List<String> all(String name) {
            List<String> out = new ArrayList<>();
            for (Field f : fields) {
                if (f.name().equalsIgnoreCase(name)) {
                    out.add(f.value());
                }
            }
            return out;
        }

        Optional<String> first(String name) {
            List<String> all = all(name);
            return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
        }

        String path() {
            int q = target.indexOf('?');
            return q < 0 ? target : target.substring(0, q);
        }

        boolean isGet() {
            return method.equals("GET");
        }

        boolean conditional() {
            return first("If-None-Match").isPresent() || first("If-Modified-Since").isPresent();
        }
    }

    /** An interim (1xx) response sent before the final one. */
    record Interim(int status, String reason, List<Field> fields) {
    }

    /**
     * One scripted answer. Written as: interim responses; the status line; {@code Date} (now)
     * unless a {@code Date} field is given (any case) or {@link #withoutDate}; the fields in order;
     * {@code Content-Length} unless given, chunked, or the status has no body (1xx, 204, 304);
     * the body. Immutable: the {@code with...} methods return a changed copy.
     *
     * @param chunkExtension written after each chunk size (e.g. {@code ;ext=1}), or empty
     * @param hangUp close the connection instead of answering
     * @param date add {@code Date: now} unless a {@code Date} field is given
     * @param delay how long the origin takes before it answers
     */
    record Answer(List<Interim> interims, int status, String reason, List<Field> fields, byte[] body,
                  boolean chunked, String chunkExtension, List<Field> trailers, boolean hangUp, boolean date, Duration delay) {

        static Answer ok(String body) {
            return status(200, "OK").withBody(body);
        }

        static Answer status(int status, String reason) {
            return new Answer(List.of(), status, reason, List.of(), new byte[0], false, "", List.of(), false, true, Duration.ZERO);
        }

        static Answer notModified() {
            return status(304, "Not Modified");
        }

        /** Reads the request and closes the connection without a byte of answer. */
        static Answer disconnect() {
            return new Answer(List.of(), 0, "", List.of(), new byte[0], false, "", List.of(), true, false, Duration.ZERO);
        }

        Answer with(String name, String value) {
            List<Field> f = new ArrayList<>(fields);
            f.add(Field.of(name, value));
            return new Answer(interims, status, reason, List.copyOf(f), body, chunked, chunkExtension, trailers, hangUp, date, delay);
        }

        Answer withBody(String text) {
            return new Answer(interims, status, reason, fields, text.getBytes(StandardCharsets.ISO_8859_1), chunked,
                chunkExtension, trailers, hangUp, date, delay);
        }

        /** Answers after {@code latency}, as a real origin takes time (the connection's thread waits). */
        Answer withLatency(Duration latency) {
            return new Answer(interims, status, reason, fields, body, chunked, chunkExtension, trailers, hangUp, date, latency);
        }

        Answer withoutDate() {
            return new Answer(interims, status, reason, fields, body, chunked, chunkExtension, trailers, hangUp, false, delay);
        }

        /** Sends the body in three chunks (two when short), each size line followed by {@code extension}. */
        Answer chunked(String extension) {
            return new Answer(interims, status, reason, fields, body, true, extension, trailers, hangUp, date, delay);
        }

        Answer withTrailer(String name, String value) {
            List<Field> t = new ArrayList<>(trailers);
            t.add(Field.of(name, value));
            return new Answer(interims, status, reason, fields, body, true, chunkExtension, List.copyOf(t), hangUp, date, delay);
        }

        Answer withInterim(int interimStatus, String interimReason, Field... interimFields) {
            List<Interim> i = new ArrayList<>(interims);
            i.add(new Interim(interimStatus, interimReason, List.of(interimFields)));
            return new Answer(List.copyOf(i), status, reason, fields, body, chunked, chunkExtension, trailers, hangUp, date, delay);
        }

        boolean has(String name) {
            return fields.stream().anyMatch(f -> f.name().equalsIgnoreCase(name));
        }

        byte[] bytes(boolean head) {
            StringBuilder sb = new StringBuilder(512);
            for (Interim i : interims) {
                sb.append("HTTP/1.1 ").append(i.status()).append(' ').append(i.reason()).append("\r\n");
                i.fields().forEach(f -> sb.append(f.name()).append(": ").append(f.value()).append("\r\n"));
                sb.append("\r\n");
            }
            sb.append("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n");
            if (date && !has("Date")) {
                sb.append("Date: ").append(httpDate(Instant.now())).append("\r\n");
            }
            fields.forEach(f -> sb.append(f.name()).append(": ").append(f.value()).append("\r\n"));
            boolean bodyless = status < 200 || status == 204 || status == 304;
            if (chunked && !bodyless) {
                sb.append("Transfer-Encoding: chunked\r\n");
            } else if (!bodyless && !has("Content-Length")) {
                sb.append("Content-Length: ").append(body.length).append("\r\n");
            }
            sb.append("\r\n");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (bodyless || head) {
                return out.toByteArray();
            }
            if (!chunked) {
                out.writeBytes(body);
                return out.toByteArray();
            }
            int parts = body.length >= 3 ? 3 : 1;
            int from = 0;
            for (int p = 0; p < parts && body.length > 0; p++) {
                int to = p == parts - 1 ? body.length : from + body.length / parts;
                out.writeBytes((Integer.toHexString(to - from) + chunkExtension + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(body, from, to - from);
                out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                from = to;
            }
            StringBuilder end = new StringBuilder("0").append(chunkExtension).append("\r\n");
            trailers.forEach(f -> end.append(f.name()).append(": ").append(f.value()).append("\r\n"));
            end.append("\r\n");
            out.writeBytes(end.toString().getBytes(StandardCharsets.ISO_8859_1));
            return out.toByteArray();
        }
    }

    private static final DateTimeFormatter IMF_FIXDATE =
        DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final Answer NOT_FOUND = Answer.status(404, "Not Found").with("Cache-Control", "no-store").withBody("no script");

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "scripted-upstream");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Script> scripts = new ConcurrentHashMap<>();
    private final Map<String, List<Received>> received = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();

    ScriptedUpstream() throws IOException {
        server = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
        threads.execute(this::accept);
    }

    /** IMF-fixdate (RFC 9110 §5.6.7), e.g. {@code Sun, 06 Nov 1994 08:49:37 GMT}. */
    static String httpDate(Instant t) {
        return IMF_FIXDATE.format(t);
    }

    static Instant parseHttpDate(String s) {
        return Instant.from(IMF_FIXDATE.parse(s));
    }

    @Override
    public int port() {
        return server.getLocalPort();
    }

    /** Answers requests to {@code path} (without query) with {@code script}, replacing any earlier one. */
    ScriptedUpstream on(String path, Script script) {
        scripts.put(path, script);
        return this;
    }

    /** Every request received for {@code path} (without query), in arrival order. */
    List<Received> received(String path) {
        return List.copyOf(received.getOrDefault(path, List.of()));
    }

    int count(String path) {
        return received(path).size();
    }

    int count(String path, Predicate<Received> which) {
        return (int) received(path).stream().filter(which).count();
    }

    int gets(String path) {
        return count(path, Received::isGet);
    }

    /** Connections accepted so far. */
    int connections() {
        return connections.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                int id = connections.getAndIncrement();
                open.add(s);
                threads.execute(() -> serve(s, id));
            } catch (IOException e) {
                if (!server.isClosed()) {
                    System.err.println("scripted upstream: accept failed: " + e);
                }
            }
        }
    }

    private void serve(Socket s, int id) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (true) {
                Received r = readRequest(in, id);
                if (r == null) {
                    return;
                }
                String path = r.path();
                received.computeIfAbsent(path, p -> new CopyOnWriteArrayList<>()).add(r);
                int nth = counts.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
                Script script = scripts.get(path);
                Answer a = script == null ? NOT_FOUND : script.answer(r, nth);
                if (!a.delay().isZero()) {
                    Thread.sleep(a.delay().toMillis()); // the origin's own latency, not a test waiting
                }
                if (a.hangUp()) {
                    return;
                }
                out.write(a.bytes(r.method().equals("HEAD")));
                out.flush();
                if (r.all("Connection").stream().anyMatch(v -> v.equalsIgnoreCase("close"))) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (SocketException e) {
            // the gateway closed the connection, or close() did
        } catch (IOException | RuntimeException e) {
            System.err.println("scripted upstream: connection " + id + " failed: " + e);
        } finally {
            open.remove(s);
        }
    }

    private static Received readRequest(InputStream in, int id) throws IOException {
        String requestLine = line(in);
        while (requestLine != null && requestLine.isEmpty()) {
            requestLine = line(in);
        }
        if (requestLine == null) {
            return null;
        }
        Instant at = Instant.now();
        String[] parts = requestLine.split(" ");
        if (parts.length != 3) {
            throw new IOException("not a request line: " + requestLine);
        }
        List<Field> fields = new ArrayList<>();
        String h;
        while ((h = line(in)) != null && !h.isEmpty()) {
            int colon = h.indexOf(':');
            fields.add(Field.of(h.substring(0, colon), RawHttpClient.ows(h.substring(colon + 1))));
        }
        Received head = new Received(id, parts[0], parts[1], List.copyOf(fields), new byte[0], at);
        byte[] body = new byte[0];
        Optional<String> te = head.first("Transfer-Encoding");
        Optional<String> cl = head.first("Content-Length");
        if (te.isPresent() && te.get().toLowerCase(Locale.ROOT).contains("chunked")) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            while (true) {
                String size = line(in);
                int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                if (n == 0) {
                    while ((h = line(in)) != null && !h.isEmpty()) {
                        // trailers: not used
                    }
                    break;
                }
                buf.writeBytes(in.readNBytes(n));
                line(in);
            }
            body = buf.toByteArray();
        } else if (cl.isPresent()) {
            body = in.readNBytes(Integer.parseInt(cl.get().trim()));
        }
        return new Received(id, parts[0], parts[1], head.fields(), body, at);
    }

    private static String line(InputStream in) throws IOException {
        return HttpLines.read(in);
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            System.err.println("scripted upstream: close failed: " + e);
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException e) {
                System.err.println("scripted upstream: closing a connection failed: " + e);
            }
        }
        threads.shutdownNow();
    }

    @Override
    public String toString() {
        return "ScriptedUpstream[" + port() + ", paths " + Arrays.toString(received.keySet().toArray()) + "]";
    }
}
