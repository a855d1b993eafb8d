package dev.meridian.manager.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.meridian.cache.CacheStore;
import dev.meridian.cache.ResponseCache;
import dev.meridian.manager.AdminException;
import dev.meridian.manager.GatewayAdmin;
import dev.meridian.model.Problem;

/**
 * The cache calls of the manager (CONTRACT §5): invalidation requests checked, run and answered,
 * statistics summed per API, node or region. Used by {@link GatewayAdmin}'s implementation (for the
 * shell and the admin API alike) and the servlet's JSON answers.
 */
final class CacheAdmin {

    private CacheAdmin() {
    }

    /** An invalidation as the admin API receives it, checked. */
    record Request(String api, List<String> keys, List<String> tags) {
    }

    /** {@code {"api"}}, {@code {"api","keys"}} or {@code {"tags"}}, checked (422 with each problem's path). */
    static Request request(Object body) throws AdminException {
        if (!(body instanceof Map<?, ?> map)) {
            throw new AdminException(422, "invalid invalidation", List.of(new Problem("", "expected an object with api, keys or tags")));
        }
        List<Problem> problems = new ArrayList<>();
        for (Object k : map.keySet()) {
            if (!List.of("api", "keys", "tags").contains(k)) {
                problems.add(new Problem(String.valueOf(k), "unknown field"));
            }
        }
        Object api = map.get("api");
        List<String> keys = strings(map.get("keys"), "keys", problems);
        List<String> tags = strings(map.get("tags"), "tags", problems);
        if (api != null && !(api instanceof String)) {
            problems.add(new Problem("api", "expected an API id"));
        }
        if (api == null && tags.isEmpty()) {
            problems.add(new Problem("", "name an api (with optional keys) or tags"));
        }
        if (api == null && !keys.isEmpty()) {
            problems.add(new Problem("keys", "keys need the api they belong to"));
        }
        if (api != null && !tags.isEmpty()) {
            problems.add(new Problem("tags", "tags are invalidated across APIs: send them without api"));
        }
        for (int i = 0; i < keys.size(); i++) {
            if (!keys.get(i).startsWith("/")) {
                problems.add(new Problem("keys[" + i + "]", "expected a request path such as /orders/42?view=full"));
            }
        }
        if (!problems.isEmpty()) {
            throw new AdminException(422, "invalid invalidation", problems);
        }
        return new Request((String) api, keys, tags);
    }

    /** Runs an invalidation on the cache: 404 for an unknown API. */
    static GatewayAdmin.Invalidation invalidate(ResponseCache cache, String api, List<String> keys, List<String> tags,
                                                java.util.function.Predicate<String> apiExists) throws AdminException {
        if (api != null && !apiExists.test(api)) {
            throw new AdminException(404, "no API with id '" + api + "'");
        }
        ResponseCache.Invalidation result = cache.invalidate(api, keys, tags);
        List<GatewayAdmin.Invalidation.Ack> acks = new ArrayList<>();
        for (CacheStore.NodeReply r : result.nodes()) {
            acks.add(new GatewayAdmin.Invalidation.Ack(r.node(), r.millis(), r.error() == null ? "" : r.error()));
        }
        return new GatewayAdmin.Invalidation(result.invalidated(), result.tookMs(), List.copyOf(acks));
    }

    /** The admin API's answer: 200, or 504 naming the nodes that did not acknowledge. */
    static Answer answer(GatewayAdmin.Invalidation result) {
        List<Map<String, Object>> nodes = new ArrayList<>();
        List<String> silent = new ArrayList<>();
        for (GatewayAdmin.Invalidation.Ack r : result.nodes()) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("name", r.node());
            n.put("ackMs", r.error().isEmpty() ? r.millis() : null);
            if (!r.error().isEmpty()) {
                n.put("error", r.error());
                silent.add(r.node());
            }
            nodes.add(n);
        }
        Map<String, Object> tree = new LinkedHashMap<>();
        if (!silent.isEmpty()) {
            tree.put("error", "not acknowledged by " + String.join(", ", silent) + " within 5 s");
        }
        tree.put("invalidated", result.invalidated());
        tree.put("tookMs", result.tookMs());
        tree.put("nodes", nodes);
        return new Answer(silent.isEmpty() ? 200 : 504, tree);
    }

    record Answer(int status, Map<String, Object> tree) {
    }

    private static List<String> strings(Object value, String field, List<Problem> problems) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list) || list.isEmpty() || list.size() > 10_000) {
            problems.add(new Problem(field, "expected a list of 1 to 10000 strings"));
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) instanceof String s && !s.isBlank() && s.length() <= 2048) {
                out.add(s);
            } else {
                problems.add(new Problem(field + "[" + i + "]", "expected a non-empty string"));
            }
        }
        return out;
    }

    static Map<String, Object> stats(ResponseCache cache, String by) throws AdminException {
        String view = by == null ? "api" : by;
        if (!dev.meridian.cache.CacheReports.VIEWS.contains(view)) {
            throw new AdminException(400, "by must be api, node or region");
        }
        return dev.meridian.cache.CacheReports.report(cache.clusterStats(), cache.entries(), view);
    }
}
