package dev.meridian.manager.internal;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.meridian.core.ApiMetrics;
import dev.meridian.core.GatewayEngine;
import dev.meridian.core.MetricsSource;
import dev.meridian.core.NodeState;

/** {@code /health}, {@code /ready} and {@code /metrics} on the admin port, without authentication (CONTRACT §2). */
@Component(service = Servlet.class, property = {
    "osgi.http.whiteboard.servlet.pattern=/health",
    "osgi.http.whiteboard.servlet.pattern=/ready",
    "osgi.http.whiteboard.servlet.pattern=/metrics",
    "osgi.http.whiteboard.servlet.name=meridian-probes"})
public final class ProbeServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Reference
    private transient GatewayEngine engine;

    @Reference
    private transient ManagerMetrics managerMetrics;

    @Reference
    private transient NodeStatusReporter status;

    @Reference(cardinality = org.osgi.service.component.annotations.ReferenceCardinality.OPTIONAL,
        policy = org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC)
    private transient volatile dev.meridian.cache.ResponseCache cache;

    /** Other bundles' counters (the data plane's access log). */
    @Reference(cardinality = org.osgi.service.component.annotations.ReferenceCardinality.MULTIPLE,
        policy = org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC)
    private transient volatile List<MetricsSource> sources;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        switch (req.getServletPath()) {
            case "/health" -> AdminServlet.json(resp, 200, Map.of("status", "up"));
            case "/ready" -> {
                NodeState state = engine.nodeState();
                boolean ready = state == NodeState.READY || state == NodeState.DEGRADED;
                AdminServlet.json(resp, ready ? 200 : 503, Map.of("state", state.wireName(), "revision", engine.current().revision()));
            }
            case "/metrics" -> metrics(resp);
            default -> resp.sendError(404);
        }
    }

    private void metrics(HttpServletResponse resp) throws IOException {
        StringBuilder sb = new StringBuilder(4096);
        GatewayEngine.EngineStats stats = engine.stats();
        gauge(sb, "meridian_revision", "Revision this node serves.", engine.current().revision());
        gauge(sb, "meridian_ready", "1 when the node is ready or degraded.", engine.nodeState() == NodeState.READY
            || engine.nodeState() == NodeState.DEGRADED ? 1 : 0);
        gauge(sb, "meridian_degraded", "1 when a used policy type has no live bundle.", engine.nodeState() == NodeState.DEGRADED ? 1 : 0);
        gauge(sb, "meridian_revision_unserved", "The newest revision this node cannot serve while it serves an older one"
            + " (0: none); why is its error in GET /api/v1/cluster.", status.unservedRevision());
        counter(sb, "meridian_publishes_total", "Route tables published.", stats.publishes());
        counter(sb, "meridian_tables_retired_total", "Replaced route tables retired after their requests finished.", stats.retired());
        gauge(sb, "meridian_tables_draining", "Replaced route tables still serving in-flight requests.", stats.tablesInFlight());
        counter(sb, "meridian_unmatched_requests_total", "Requests that matched no API (404).", stats.unmatched());

        List<ApiMetrics> apis = engine.apiMetrics().stream()
            .sorted(Comparator.comparing(ApiMetrics::apiId).thenComparing(ApiMetrics::shape)).toList();
        sb.append("# HELP meridian_requests_total Requests answered, by API and status class.\n# TYPE meridian_requests_total counter\n");
        for (ApiMetrics m : apis) {
            for (int cls = 1; cls <= 5; cls++) {
                sb.append("meridian_requests_total{api=\"").append(m.apiId()).append(shapeLabel(m)).append("\",code=\"").append(cls).append("xx\"} ")
                    .append(m.requests(cls)).append('\n');
            }
        }
        sb.append("# HELP meridian_request_duration_seconds Time from request to end of response, by API.\n"
            + "# TYPE meridian_request_duration_seconds histogram\n");
        for (ApiMetrics m : apis) {
            long[] counts = m.bucketCounts();
            long cumulative = 0;
            for (int i = 0; i < counts.length; i++) {
                cumulative += counts[i];
                String le = i < ApiMetrics.BUCKETS_MICROS.length ? Double.toString(ApiMetrics.BUCKETS_MICROS[i] / 1e6) : "+Inf";
                sb.append("meridian_request_duration_seconds_bucket{api=\"").append(m.apiId()).append(shapeLabel(m)).append("\",le=\"").append(le)
                    .append("\"} ").append(cumulative).append('\n');
            }
            sb.append("meridian_request_duration_seconds_sum{api=\"").append(m.apiId()).append(shapeLabel(m)).append("\"} ").append(m.totalMicros() / 1e6).append('\n');
            sb.append("meridian_request_duration_seconds_count{api=\"").append(m.apiId()).append(shapeLabel(m)).append("\"} ").append(cumulative).append('\n');
        }
        managerMetrics.write(sb);
        cacheMetrics(sb);
        List<MetricsSource> others = sources;
        if (others != null) {
            others.forEach(source -> source.write(sb));
        }
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        gauge(sb, "jvm_heap_used_bytes", "Heap in use.", heap.getUsed());
        gauge(sb, "jvm_heap_max_bytes", "Heap limit.", heap.getMax());
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        resp.setStatus(200);
        resp.setContentType("text/plain; version=0.0.4; charset=utf-8");
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    /** This node's cache counters per API (sum them across nodes, or read {@code /api/v1/cache/stats}). */
    @SuppressWarnings("unchecked")
    private void cacheMetrics(StringBuilder sb) {
        dev.meridian.cache.ResponseCache c = cache;
        if (c == null) {
            return;
        }
        Map<String, Object> apis = (Map<String, Object>) c.nodeStats().get("apis");
        String[][] counters = {{"hits", "Cache lookups answered fresh (X-Cache: HIT)."},
            {"misses", "Cache lookups that went to the upstream (X-Cache: MISS)."},
            {"stale", "Answers served stale within grace while one request refreshed (X-Cache: STALE)."},
            {"bypass", "Requests not looked up (X-Cache: BYPASS)."},
            {"stored", "Responses stored in the cache."}};
        for (String[] counter : counters) {
            String name = "meridian_cache_" + counter[0] + "_total";
            sb.append("# HELP ").append(name).append(' ').append(counter[1]).append("\n# TYPE ").append(name).append(" counter\n");
            apis.forEach((api, v) -> sb.append(name).append("{api=\"").append(api).append("\"} ")
                .append(((Map<String, Object>) v).get(counter[0])).append('\n'));
        }
        sb.append("# HELP meridian_cache_evictions_total Entries dropped on this node, by reason.\n"
            + "# TYPE meridian_cache_evictions_total counter\n");
        apis.forEach((api, v) -> ((Map<String, Object>) ((Map<String, Object>) v).get("evictions")).forEach((reason, n) ->
            sb.append("meridian_cache_evictions_total{api=\"").append(api).append("\",reason=\"").append(reason).append("\"} ")
                .append(n).append('\n')));
        sb.append("# HELP meridian_cache_local_entries Entries in this node's fast tier.\n# TYPE meridian_cache_local_entries gauge\n");
        apis.forEach((api, v) -> sb.append("meridian_cache_local_entries{api=\"").append(api).append("\"} ")
            .append(((Map<String, Object>) v).get("localEntries")).append('\n'));
    }

    /** {@code ",shape=\"v2\""} for another shape of a split API; nothing for an API's own (main) shape. */
    private static String shapeLabel(ApiMetrics m) {
        return m.shape().isEmpty() ? "" : "\",shape=\"" + m.shape();
    }

    private static void gauge(StringBuilder sb, String name, String help, long value) {
        sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n")
            .append(name).append(' ').append(value).append('\n');
    }

    private static void counter(StringBuilder sb, String name, String help, long value) {
        sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n")
            .append(name).append(' ').append(value).append('\n');
    }
}
