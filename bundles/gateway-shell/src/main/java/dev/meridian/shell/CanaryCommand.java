package dev.meridian.shell;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.StringsCompleter;

import dev.meridian.manager.AdminException;
import dev.meridian.manager.Change;

/**
 * {@code gateway:canary [promote|abort]} (CONTRACT §8): the running canary, both sides' requests,
 * errors and latency over its window merged across the nodes, and the verdict; {@code promote}
 * makes it whole, {@code abort} rolls it back (operator, as on the admin API).
 */
@Command(scope = "gateway", name = "canary", description = "Shows the running canary; promote or abort ends it.")
@Service
public class CanaryCommand extends GatewayCommand {

    @Argument(index = 0, name = "action", description = "promote or abort (none: show)")
    @Completion(value = StringsCompleter.class, values = {"promote", "abort"})
    String action;

    @Override
    void run(PrintStream out) throws AdminException {
        if (action == null) {
            Text.canary(admin.canary()).forEach(out::println);
            return;
        }
        if (!action.equals("promote") && !action.equals("abort")) {
            throw new AdminException(400, "expected promote or abort, got '" + action + "'");
        }
        if ("viewer".equals(actor().role())) {
            throw new AdminException(403, "role 'viewer' may not " + action + " a canary: it needs 'operator'");
        }
        Change c = action.equals("promote") ? admin.promoteCanary(actor(), OptionalLong.empty())
            : admin.abortCanary(actor(), OptionalLong.empty());
        out.println((action.equals("promote") ? "Promoted" : "Aborted") + " the canary of revision " + (c.revision() - 1)
            + " as revision " + c.revision() + " (" + Text.diff(c) + ")");
    }

    /** For {@link Text}: a side's line. */
    static String side(String name, Object tree) {
        if (!(tree instanceof Map<?, ?> s)) {
            return "  " + name + ": -";
        }
        return String.format(java.util.Locale.ROOT, "  %-6s revision %s: %s requests, %s errors (%.2f%%), p50 %s ms, p99 %s ms",
            name, s.get("revision"), s.get("requests"), s.get("errors"),
            ((Number) s.get("errorRate")).doubleValue() * 100, s.get("p50Ms"), s.get("p99Ms"));
    }

    /** For {@link Text}: the nodes' lines. */
    static void nodes(Object tree, List<String> lines) {
        if (!(tree instanceof List<?> nodes)) {
            return;
        }
        for (Object o : nodes) {
            if (o instanceof Map<?, ?> n) {
                Object st = n.get("stable") instanceof Map<?, ?> m ? m.get("requests") : "-";
                Object ca = n.get("canary") instanceof Map<?, ?> m ? m.get("requests") : "-";
                lines.add("  node " + n.get("name") + " (serves " + n.get("revision") + "): "
                    + (Boolean.TRUE.equals(n.get("reported")) ? "stable " + st + ", canary " + ca + " requests" : "not reported"));
            }
        }
    }
}
