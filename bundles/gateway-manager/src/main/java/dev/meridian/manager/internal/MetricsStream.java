package dev.meridian.manager.internal;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import javax.servlet.AsyncContext;
import javax.servlet.ServletOutputStream;
import javax.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.series.Resolution;
import dev.meridian.model.Json;

/**
 * {@code GET /api/v1/metrics/stream} (issue 14): server-sent events for the console's live charts.
 * Once a second, a quarter second after it ends, one cluster-wide read of that second
 * ({@link MetricsSeries#gather}) whatever the number of subscribers, sent to each as
 * {@code event: second}; new markers of the audit as {@code event: marker}. Also the owner of the
 * series' minute roll-up ({@code SeriesBook.roll}), on the same tick.
 *
 * <p>Writes happen on a small pool of their own, never on the tick: a subscriber whose previous
 * event is still being written skips a second, and one that skipped {@link #MAX_SKIPPED} in a row
 * (a stalled reader) is closed. At most {@link #MAX_SUBSCRIBERS} per node (503 beyond).
 */
@Component(service = MetricsStream.class)
public final class MetricsStream {

    private static final Logger LOG = LoggerFactory.getLogger(MetricsStream.class);
    static final int MAX_SUBSCRIBERS = 64;
    static final int MAX_SKIPPED = 10;

    @Reference
    private MetricsSeries series;

    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private ScheduledExecutorService tick;
    private ExecutorService writers;
    /** The newest marker time (epoch ms) sent, so each marker goes out once. */
    private volatile double lastMarker;

    private final class Subscriber {
        final AsyncContext async;
        final AtomicBoolean writing = new AtomicBoolean();
        final AtomicInteger skipped = new AtomicInteger();
        volatile boolean closed;

        Subscriber(AsyncContext async) {
            this.async = async;
        }

        void send(byte[] event) {
            if (closed) {
                return;
            }
            if (!writing.compareAndSet(false, true)) {
                if (skipped.incrementAndGet() > MAX_SKIPPED) {
                    close();
                }
                return;
            }
            skipped.set(0);
            try {
                writers.execute(() -> {
                    try {
                        ServletOutputStream out = async.getResponse().getOutputStream();
                        out.write(event);
                        out.flush();
                    } catch (IOException | RuntimeException e) {
                        close(); // the client went away
                    } finally {
                        writing.set(false);
                    }
                });
            } catch (RuntimeException rejected) {
                writing.set(false);
                close();
            }
        }

        void close() {
            if (closed) {
                return;
            }
            closed = true;
            subscribers.remove(this);
            try {
                async.complete();
            } catch (RuntimeException e) {
                // already completed or timed out
            }
        }
    }

    @Activate
    void activate() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "meridian-metrics-stream");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        tick = t;
        writers = new ThreadPoolExecutor(1, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(MAX_SUBSCRIBERS * 2), r -> {
            Thread th = new Thread(r, "meridian-metrics-stream-write");
            th.setDaemon(true);
            return th;
        });
        lastMarker = System.currentTimeMillis() / 1_000.0;
        long delay = 1_250 - System.currentTimeMillis() % 1_000; // a quarter second after the next second ends
        tick.scheduleAtFixedRate(this::tick, delay, 1_000, TimeUnit.MILLISECONDS);
    }

    @Deactivate
    void deactivate() {
        tick.shutdownNow();
        for (Subscriber s : subscribers) {
            s.close();
        }
        writers.shutdownNow();
    }

    /**
     * Starts a stream on {@code async} (the servlet started it); when the node has
     * {@link #MAX_SUBSCRIBERS} already, answers 503 and ends it (false).
     */
    boolean subscribe(AsyncContext async) throws IOException {
        if (subscribers.size() >= MAX_SUBSCRIBERS) {
            HttpServletResponse resp = (HttpServletResponse) async.getResponse();
            resp.setHeader("Retry-After", "10");
            AdminServlet.error(resp, 503, "too many metrics streams on this node (" + MAX_SUBSCRIBERS + ")", List.of());
            async.complete();
            return false;
        }
        async.setTimeout(0);
        HttpServletResponse resp = (HttpServletResponse) async.getResponse();
        resp.setStatus(200);
        resp.setContentType("text/event-stream");
        resp.setCharacterEncoding("UTF-8");
        resp.setHeader("Cache-Control", "no-cache");
        resp.setHeader("X-Accel-Buffering", "no");
        Subscriber s = new Subscriber(async);
        subscribers.add(s);
        s.send(MetricsSeries.utf8("retry: 2000\n: meridian metrics stream\n\n"));
        return true;
    }

    private void tick() {
        try {
            series.roll();
            long now = series.nowSeconds();
            List<byte[]> newMarkers = newMarkers(now); // a read of the last second's audit keys: cheap
            if (subscribers.isEmpty()) {
                return;
            }
            MetricsSeries.Query q = new MetricsSeries.Query(Resolution.SECOND, now - 1, now, null);
            series.gather(q).whenComplete((g, failure) -> {
                if (failure != null) {
                    LOG.debug("metrics stream: the read of second {} failed: {}", now - 1, failure.toString());
                    return;
                }
                Map<String, Object> tree = new LinkedHashMap<>(g.frame().toTree(Set.of()));
                Map<String, Object> event = new LinkedHashMap<>();
                event.put("t", now - 1);
                event.put("nodes", g.nodes());
                event.put("failed", g.failed());
                event.put("series", tree.get("series"));
                byte[] second = event("second", event);
                for (Subscriber s : subscribers) {
                    s.send(second);
                }
            });
            for (byte[] marker : newMarkers) {
                for (Subscriber s : subscribers) {
                    s.send(marker);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("metrics stream tick failed: {}", e.toString());
        }
    }

    /** The markers newer than the last tick's, as events (the tick runs with or without subscribers, so none is old news). */
    private List<byte[]> newMarkers(long now) {
        double since = lastMarker;
        List<byte[]> out = new java.util.ArrayList<>();
        for (Map<String, Object> m : series.markers((long) Math.floor(since), now + 1, 100)) {
            double t = ((Number) m.get("t")).doubleValue();
            if (t <= since) {
                continue;
            }
            lastMarker = Math.max(lastMarker, t);
            out.add(event("marker", m));
        }
        return out;
    }

    private static byte[] event(String name, Object data) {
        return MetricsSeries.utf8("event: " + name + "\ndata: " + new String(Json.write(data), java.nio.charset.StandardCharsets.UTF_8)
            + "\n\n");
    }

    /** Subscribers now (tests, {@code /metrics}). */
    int subscribers() {
        return subscribers.size();
    }
}
