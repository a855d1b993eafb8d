import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

/**
 * Paired latency: what one route adds over another at p99, measured so that the noise of a
 * small box cancels out. wrk runs one lane after the other, and on two cores the p99 of a lane
 * moves by 1-3 ms from one 10 s round to the next (GC, the scheduler, the load generator itself)
 * — ten times a 0.2 ms goal. Here every connection sends to all lanes in turn (each round of a connection sends one request to every lane, in a fresh random order, so no
 * lane always follows another), at a fixed rate below saturation, so a GC pause
 * or a descheduled thread lands on every lane alike; the p99 of each lane and their difference
 * are taken per round, and the median of the per-round differences is reported.
 *
 * <p>Open loop: each request has an intended start time on its connection's schedule and its
 * latency is counted from that time, not from when it could be sent (no coordinated omission:
 * a stall delays the requests behind it and they count it). HTTP/1.1 keep-alive over plain
 * sockets; answers with Content-Length or chunked bodies.
 *
 * <p>A lane written {@code /path/@200} is a control: real requests to the same path, with 200 µs
 * added to each one's recorded latency (arithmetic, no CPU spent). It shows what a known cost
 * looks like through the same sampling noise, so a difference near zero can be read as "no added
 * cost", not as "the method cannot see one".
 *
 * <pre>java bench/PairedLatency.java HOST:PORT /lane-a/,/lane-b/ CONNECTIONS RATE_PER_S SECONDS ROUNDS [WARMUP_S]</pre>
 *
 * Prints one {@code ROUND} line per round, a {@code POOLED} line (every round's requests in one
 * histogram per lane) and a {@code PAIRED} line: per lane p50/p99/p99.9 in
 * ms (the median over rounds) and, for every lane after the first, the median and the range of
 * the per-round p99 differences of every lane to each lane before it. Exit status 1 if any request failed.
 */
public final class PairedLatency {

    /** Latencies in microseconds, 1 µs buckets up to 200 ms, one overflow bucket. */
    private static final int BUCKETS = 200_000;

    public static void main(String[] args) throws Exception {
        if (args.length < 6) {
            System.err.println("usage: PairedLatency HOST:PORT /a/,/b/ CONNECTIONS RATE_PER_S SECONDS ROUNDS [WARMUP_S]");
            System.exit(2);
        }
        String[] hp = args[0].split(":");
        InetSocketAddress target = new InetSocketAddress(hp[0], Integer.parseInt(hp[1]));
        String[] lanes = args[1].split(",");
        int connections = Integer.parseInt(args[2]);
        double rate = Double.parseDouble(args[3]);
        int seconds = Integer.parseInt(args[4]);
        int rounds = Integer.parseInt(args[5]);
        int warmup = args.length > 6 ? Integer.parseInt(args[6]) : 5;

        System.err.printf("# paired: %s lanes %s, %d connections, %.0f requests/s, warm-up %d s, %d rounds of %d s%n",
                target, String.join(" ", lanes), connections, rate, warmup, rounds, seconds);
        run(target, lanes, connections, rate, warmup, null);

        double[][] p50 = new double[lanes.length][rounds];
        double[][] p99 = new double[lanes.length][rounds];
        double[][] p999 = new double[lanes.length][rounds];
        long failures = 0;
        long[][] all = new long[lanes.length][BUCKETS + 1];
        for (int r = 0; r < rounds; r++) {
            long[][] hist = new long[lanes.length][BUCKETS + 1];
            long[] failed = new long[1];
            run(target, lanes, connections, rate, seconds, new Sink(hist, failed));
            failures += failed[0];
            for (int l = 0; l < lanes.length; l++) {
                for (int b = 0; b <= BUCKETS; b++) {
                    all[l][b] += hist[l][b];
                }
            }
            StringBuilder line = new StringBuilder("ROUND " + (r + 1));
            for (int l = 0; l < lanes.length; l++) {
                p50[l][r] = percentile(hist[l], 0.50);
                p99[l][r] = percentile(hist[l], 0.99);
                p999[l][r] = percentile(hist[l], 0.999);
                line.append(String.format(" %s: n=%d p50=%.3f p99=%.3f p99.9=%.3f", lanes[l], count(hist[l]), p50[l][r], p99[l][r], p999[l][r]));
            }
            for (int l = 1; l < lanes.length; l++) {
                for (int m = 0; m < l; m++) {
                    line.append(String.format(" | %s-%s p99 %+.3f", lanes[l], lanes[m], p99[l][r] - p99[m][r]));
                }
            }
            line.append(" failures=").append(failed[0]);
            System.out.println(line);
        }
        StringBuilder out = new StringBuilder(String.format("PAIRED connections=%d rate=%.0f rounds=%d seconds=%d", connections, rate, rounds, seconds));
        for (int l = 0; l < lanes.length; l++) {
            out.append(String.format(" %s_p50_ms=%.3f %s_p99_ms=%.3f %s_p999_ms=%.3f",
                    lanes[l], median(p50[l]), lanes[l], median(p99[l]), lanes[l], median(p999[l])));
        }
        for (int l = 1; l < lanes.length; l++) {
            for (int m = 0; m < l; m++) {
                double[] d = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    d[r] = p99[l][r] - p99[m][r];
                }
                double[] sorted = d.clone();
                Arrays.sort(sorted);
                out.append(String.format(" added_p99_ms[%s-%s]=%.3f(min=%.3f,max=%.3f)", lanes[l], lanes[m], median(d), sorted[0], sorted[rounds - 1]));
            }
        }
        out.append(" failures=").append(failures);
        System.out.println(out);
        // every round's requests together: the p99 of n = rounds × requests per lane, whose
        // sampling noise is smaller than a single round's
        StringBuilder pooled = new StringBuilder("POOLED");
        double[] pooledP99 = new double[lanes.length];
        for (int l = 0; l < lanes.length; l++) {
            pooledP99[l] = percentile(all[l], 0.99);
            pooled.append(String.format(" %s: n=%d p50=%.3f p90=%.3f p99=%.3f p99.9=%.3f", lanes[l], count(all[l]),
                    percentile(all[l], 0.50), percentile(all[l], 0.90), pooledP99[l], percentile(all[l], 0.999)));
        }
        for (int l = 1; l < lanes.length; l++) {
            for (int m = 0; m < l; m++) {
                pooled.append(String.format(" | %s-%s p99 %+.3f", lanes[l], lanes[m], pooledP99[l] - pooledP99[m]));
            }
        }
        System.out.println(pooled);
        System.exit(failures == 0 ? 0 : 1);
    }

    private record Sink(long[][] hist, long[] failed) {
    }

    /** One round: every connection on its own thread, on its own schedule; {@code sink} null for warm-up. */
    private static void run(InetSocketAddress target, String[] lanes, int connections, double rate, int seconds, Sink sink)
            throws InterruptedException {
        long intervalNanos = (long) (1e9 * connections / rate);
        long start = System.nanoTime() + 50_000_000L;
        long end = start + seconds * 1_000_000_000L;
        CountDownLatch done = new CountDownLatch(connections);
        List<long[][]> perThread = new ArrayList<>();
        long[] failed = new long[connections];
        for (int c = 0; c < connections; c++) {
            long[][] hist = new long[lanes.length][BUCKETS + 1];
            perThread.add(hist);
            int id = c;
            // stagger the connections over one interval so requests spread evenly in time
            long first = start + intervalNanos * c / connections;
            Thread t = new Thread(() -> {
                try {
                    failed[id] = connection(target, lanes, id, first, intervalNanos, end, hist);
                } finally {
                    done.countDown();
                }
            }, "paired-" + c);
            t.setDaemon(true);
            t.start();
        }
        done.await();
        if (sink != null) {
            for (long[][] hist : perThread) {
                for (int l = 0; l < lanes.length; l++) {
                    for (int b = 0; b <= BUCKETS; b++) {
                        sink.hist[l][b] += hist[l][b];
                    }
                }
            }
            for (long f : failed) {
                sink.failed[0] += f;
            }
        }
    }

    /** Returns the number of failed requests; a failure reopens the connection. */
    private static long connection(InetSocketAddress target, String[] lanes, int id, long first, long interval, long end, long[][] hist) {
        byte[][] requests = new byte[lanes.length][];
        long[] addedNanos = new long[lanes.length];
        for (int l = 0; l < lanes.length; l++) {
            int at = lanes[l].indexOf('@');
            String path = at < 0 ? lanes[l] : lanes[l].substring(0, at);
            addedNanos[l] = at < 0 ? 0 : Long.parseLong(lanes[l].substring(at + 1)) * 1_000;
            requests[l] = ("GET " + path + " HTTP/1.1\r\nHost: " + target.getHostString() + ":" + target.getPort()
                    + "\r\nUser-Agent: paired-latency\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        }
        byte[] buf = new byte[64 * 1024];
        int[] order = new int[lanes.length];
        for (int l = 0; l < order.length; l++) {
            order[l] = l;
        }
        long failures = 0;
        Socket socket = null;
        long intended = first;
        for (long k = 0; intended < end; k++, intended += interval) {
            long now = System.nanoTime();
            if (now < intended) {
                LockSupport.parkNanos(intended - now);
            }
            int slot = (int) (k % lanes.length);
            if (slot == 0) {
                shuffle(order);
            }
            int lane = order[slot];
            try {
                if (socket == null) {
                    socket = new Socket();
                    socket.setTcpNoDelay(true);
                    socket.setSoTimeout(5_000);
                    socket.connect(target, 2_000);
                }
                OutputStream out = socket.getOutputStream();
                out.write(requests[lane]);
                out.flush();
                int status = readResponse(socket.getInputStream(), buf);
                long micros = (System.nanoTime() - intended + addedNanos[lane]) / 1_000;
                if (status != 200) {
                    failures++;
                }
                hist[lane][(int) Math.min(micros, BUCKETS)]++;
            } catch (IOException e) {
                failures++;
                closeQuietly(socket);
                socket = null;
            }
        }
        closeQuietly(socket);
        return failures;
    }

    /** Reads one answer (head, then a Content-Length or chunked body) and returns its status. */
    private static int readResponse(InputStream in, byte[] buf) throws IOException {
        int len = 0;
        int headEnd;
        while ((headEnd = indexOfHeadEnd(buf, len)) < 0) {
            int n = in.read(buf, len, buf.length - len);
            if (n < 0) {
                throw new IOException("closed before the head ended");
            }
            len += n;
            if (len == buf.length) {
                throw new IOException("head over " + buf.length + " bytes");
            }
        }
        String head = new String(buf, 0, headEnd, StandardCharsets.ISO_8859_1);
        int status = Integer.parseInt(head.substring(9, 12));
        String lower = head.toLowerCase(java.util.Locale.ROOT);
        int bodyStart = headEnd + 4;
        int have = len - bodyStart;
        int cl = lower.indexOf("\r\ncontent-length:");
        if (cl >= 0) {
            int eol = lower.indexOf("\r\n", cl + 2);
            long length = Long.parseLong(lower.substring(cl + 17, eol < 0 ? lower.length() : eol).trim());
            long remaining = length - have;
            while (remaining > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
                if (n < 0) {
                    throw new IOException("closed inside the body");
                }
                remaining -= n;
            }
        } else if (lower.contains("\r\ntransfer-encoding: chunked")) {
            // keep the bytes after the head and read until the last chunk's CRLFCRLF
            System.arraycopy(buf, bodyStart, buf, 0, have);
            len = have;
            while (!endsWithLastChunk(buf, len)) {
                if (len == buf.length) {
                    System.arraycopy(buf, len - 16, buf, 0, 16);
                    len = 16;
                }
                int n = in.read(buf, len, buf.length - len);
                if (n < 0) {
                    throw new IOException("closed inside a chunked body");
                }
                len += n;
            }
        }
        return status;
    }

    private static void shuffle(int[] a) {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private static boolean endsWithLastChunk(byte[] b, int len) {
        return len >= 5 && b[len - 5] == '0' && b[len - 4] == '\r' && b[len - 3] == '\n' && b[len - 2] == '\r' && b[len - 1] == '\n';
    }

    private static int indexOfHeadEnd(byte[] b, int len) {
        for (int i = 3; i < len; i++) {
            if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
                return i - 3;
            }
        }
        return -1;
    }

    private static long count(long[] hist) {
        long n = 0;
        for (long c : hist) {
            n += c;
        }
        return n;
    }

    /** The q-th latency in ms (bucket resolution 1 µs). */
    private static double percentile(long[] hist, double q) {
        long n = count(hist);
        if (n == 0) {
            return Double.NaN;
        }
        long rank = (long) Math.ceil(q * n);
        long seen = 0;
        for (int b = 0; b < hist.length; b++) {
            seen += hist[b];
            if (seen >= rank) {
                return b / 1000.0;
            }
        }
        return BUCKETS / 1000.0;
    }

    private static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already failed
            }
        }
    }
}
