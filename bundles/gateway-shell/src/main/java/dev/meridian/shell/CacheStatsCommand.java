package dev.meridian.shell;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import dev.meridian.manager.AdminException;

/** {@code gateway:cache-stats [--by api|node|region]}: cache counters across the cluster (as {@code GET /api/v1/cache/stats}). */
@Command(scope = "gateway", name = "cache-stats", description = "Shows cache hits, misses, stale, bypass, hit ratio, entries and evictions.")
@Service
public class CacheStatsCommand extends GatewayCommand {

    @Option(name = "--by", description = "api (default), node or region")
    String by = "api";

    @Override
    @SuppressWarnings("unchecked")
    void run(PrintStream out) throws AdminException {
        if (!List.of("api", "node", "region").contains(by)) {
            throw new AdminException(400, "--by must be api, node or region");
        }
        Map<String, Object> report = admin.cacheStats(by);
        ShellTable table = new ShellTable();
        if (!by.equals("api")) {
            table.column(by.toUpperCase(java.util.Locale.ROOT));
        }
        for (String c : List.of("API", "HITS", "MISSES", "STALE", "BYPASS", "HIT RATIO", "ENTRIES", "EXPIRED", "SIZE", "INVALIDATED")) {
            table.column(c);
        }
        table.emptyTableText("No cached API");
        if (by.equals("api")) {
            rows(table, null, (List<Map<String, Object>>) report.get("apis"));
        } else {
            for (Map<String, Object> group : (List<Map<String, Object>>) report.get(by.equals("node") ? "nodes" : "regions")) {
                rows(table, String.valueOf(group.get(by.equals("node") ? "name" : "region")), (List<Map<String, Object>>) group.get("apis"));
            }
        }
        table.print(out);
    }

    @SuppressWarnings("unchecked")
    private static void rows(ShellTable table, String group, List<Map<String, Object>> apis) {
        for (Map<String, Object> a : apis) {
            Map<String, Object> ev = (Map<String, Object>) a.get("evictions");
            var row = table.addRow();
            if (group != null) {
                row.addContent(group);
            }
            row.addContent(a.get("api"), a.get("hits"), a.get("misses"), a.get("stale"), a.get("bypass"), a.get("hitRatio"),
                a.getOrDefault("entries", a.get("localEntries")), ev.get("expired"), ev.get("size"), ev.get("invalidated"));
        }
    }
}
