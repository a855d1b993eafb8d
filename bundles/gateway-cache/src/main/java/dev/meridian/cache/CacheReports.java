package dev.meridian.cache;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Cache statistics of several nodes ({@link ResponseCache#clusterStats()}) summed for people:
 * per API (with hit ratio and entries cluster-wide), per node or per region. The admin API and
 * {@code gateway:cache-stats} show the same numbers.
 */
public final class CacheReports {

    /** The views {@link #report} gives: per API, per node, per region. */
    public static final List<String> VIEWS = List.of("api", "node", "region");

    private static final String[] COUNTERS = {"hits", "misses", "stale", "bypass", "stored", "localDropped"};
    private static final String[] EVICTIONS = {"expired", "size", "invalidated"};

    private CacheReports() {
    }

    /**
     * {@code by} = {@code api} ( one line per API, summed over nodes, with its entries
     * cluster-wide), {@code node} or {@code region}.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> report(List<Map<String, Object>> perNode, Map<String, Long> entries, String by) {
        switch (by) {
            case "api" -> {
                Map<String, Map<String, Object>> sums = new TreeMap<>();
                for (Map<String, Object> node : perNode) {
                    addAll(sums, (Map<String, Object>) node.get("apis"));
                }
                entries.keySet().forEach(id -> sums.computeIfAbsent(id, k -> zero()));
                return Map.of("apis", lines(sums, entries));
            }
            case "node" -> {
                List<Map<String, Object>> nodes = new ArrayList<>();
                for (Map<String, Object> node : perNode) {
                    Map<String, Map<String, Object>> sums = new TreeMap<>();
                    addAll(sums, (Map<String, Object>) node.get("apis"));
                    Map<String, Object> n = new LinkedHashMap<>();
                    n.put("name", node.get("node"));
                    n.put("region", node.get("region"));
                    n.put("apis", lines(sums, null));
                    if (node.containsKey("local")) {
                        n.put("local", node.get("local"));
                    }
                    if (node.containsKey("generations")) {
                        n.put("generations", node.get("generations"));
                    }
                    nodes.add(n);
                }
                nodes.sort(java.util.Comparator.comparing(n -> String.valueOf(n.get("name"))));
                return Map.of("nodes", nodes);
            }
            case "region" -> {
                Map<String, Map<String, Map<String, Object>>> regions = new TreeMap<>();
                for (Map<String, Object> node : perNode) {
                    addAll(regions.computeIfAbsent(String.valueOf(node.get("region")), r -> new TreeMap<>()),
                        (Map<String, Object>) node.get("apis"));
                }
                List<Map<String, Object>> out = new ArrayList<>();
                regions.forEach((region, sums) -> {
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("region", region);
                    r.put("apis", lines(sums, null));
                    out.add(r);
                });
                return Map.of("regions", out);
            }
            default -> throw new IllegalArgumentException("by must be api, node or region");
        }
    }

    private static Map<String, Object> zero() {
        Map<String, Object> z = new LinkedHashMap<>();
        for (String c : COUNTERS) {
            z.put(c, 0L);
        }
        z.put("localEntries", 0L);
        Map<String, Object> ev = new LinkedHashMap<>();
        for (String e : EVICTIONS) {
            ev.put(e, 0L);
        }
        z.put("evictions", ev);
        return z;
    }

    @SuppressWarnings("unchecked")
    private static void addAll(Map<String, Map<String, Object>> sums, Map<String, Object> apis) {
        if (apis == null) {
            return;
        }
        apis.forEach((id, v) -> {
            Map<String, Object> from = (Map<String, Object>) v;
            Map<String, Object> to = sums.computeIfAbsent(id, k -> zero());
            for (String c : COUNTERS) {
                to.put(c, num(to.get(c)) + num(from.get(c)));
            }
            to.put("localEntries", num(to.get("localEntries")) + num(from.get("localEntries")));
            Map<String, Object> fe = (Map<String, Object>) from.getOrDefault("evictions", Map.of());
            Map<String, Object> te = (Map<String, Object>) to.get("evictions");
            for (String e : EVICTIONS) {
                te.put(e, num(te.get(e)) + num(fe.get(e)));
            }
        });
    }

    private static long num(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    private static List<Map<String, Object>> lines(Map<String, Map<String, Object>> sums, Map<String, Long> entries) {
        List<Map<String, Object>> out = new ArrayList<>();
        sums.forEach((id, s) -> {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("api", id);
            long hits = num(s.get("hits"));
            long stale = num(s.get("stale"));
            long misses = num(s.get("misses"));
            for (String c : COUNTERS) {
                line.put(c, s.get(c));
            }
            long lookups = hits + stale + misses;
            line.put("hitRatio", lookups == 0 ? 0.0 : Math.round((hits + stale) * 10000.0 / lookups) / 10000.0);
            if (entries != null) {
                line.put("entries", entries.getOrDefault(id, 0L));
            }
            line.put("localEntries", s.get("localEntries"));
            line.put("evictions", s.get("evictions"));
            out.add(line);
        });
        return out;
    }
}
