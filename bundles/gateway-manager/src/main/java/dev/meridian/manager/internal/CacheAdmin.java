package dev.meridian.manager.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.meridian.cache.CacheStore;
import dev.meridian.cache.ResponseCache;
import dev.meridian.manager.AdminException;
import dev.meridian.model.Problem;

/**
 * The cache calls of the admin API (CONTRACT §5): invalidation requests checked and answered,
 * statistics summed per API, node or region. Shared by the servlet and {@code /metrics}.
 */
final class CacheAdmin {

    private CacheAdmin() {
    }

    /** {@code {"api"}}, {@code {"api","keys"}} or {@code {"tags"}}; answers 200, or 504 naming the nodes that did not acknowledge. */
    @SuppressWarnings("unchecked")
    static Answer invalidate(ResponseCache cache, Object body, java.util.function.Predicate<String> apiExists) throws AdminException {
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
        if (api != null && !apiExists.test((String) api)) {
            throw new AdminException(404, "no API with id '" + api + "'");
        }
        ResponseCache.Invalidation result = cache.invalidate((String) api, keys, tags);
        List<Map<String, Object>> nodes = new ArrayList<>();
        List<String> silent = new ArrayList<>();
        for (CacheStore.NodeReply r : result.nodes()) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("name", r.node());
            n.put("ackMs", r.error() == null ? r.millis() : null);
            if (r.error() != null) {
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
