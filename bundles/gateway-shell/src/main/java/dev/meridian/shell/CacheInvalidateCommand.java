package dev.meridian.shell;

import java.io.PrintStream;
import java.util.List;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import dev.meridian.manager.AdminException;
import dev.meridian.manager.GatewayAdmin;

/**
 * {@code gateway:cache-invalidate --api orders [--key /orders/42 ...]} or
 * {@code gateway:cache-invalidate --tag orders ...}: coordinated invalidation, answered once
 * every live node acknowledged (as {@code POST /api/v1/cache/invalidate}).
 */
@Command(scope = "gateway", name = "cache-invalidate", description = "Invalidates an API's cache, some of its URLs, or tags, on every node.")
@Service
public class CacheInvalidateCommand extends GatewayCommand {

    @Option(name = "--api", description = "the API whose cache (or URLs, with --key) to invalidate")
    @Completion(ApiIdCompleter.class)
    String api;

    @Option(name = "--key", multiValued = true, description = "a request path with optional query, e.g. /orders/42?view=full")
    List<String> keys;

    @Option(name = "--tag", multiValued = true, description = "a tag, across APIs")
    List<String> tags;

    @Override
    void run(PrintStream out) throws AdminException {
        List<String> k = keys == null ? List.of() : keys;
        List<String> t = tags == null ? List.of() : tags;
        if ((api == null) == t.isEmpty() || (api == null && !k.isEmpty())) {
            throw new AdminException(400, "use --api <id> [--key <path> ...] or --tag <tag> ...");
        }
        GatewayAdmin.Invalidation result = admin.invalidateCache(api, k, t);
        admin.audit(actor(), "gateway:cache-invalidate", 0, "invalidated " + result.invalidated()
            + (api != null ? " of api " + api : "") + (t.isEmpty() ? "" : " tags " + t) + (k.isEmpty() ? "" : " keys " + k.size()));
        out.println("invalidated " + result.invalidated() + " entries in " + result.tookMs() + " ms");
        for (GatewayAdmin.Invalidation.Ack r : result.nodes()) {
            out.println("  " + r.node() + ": " + (r.error().isEmpty() ? "acknowledged after " + r.millis() + " ms" : "NOT acknowledged: " + r.error()));
        }
    }
}
