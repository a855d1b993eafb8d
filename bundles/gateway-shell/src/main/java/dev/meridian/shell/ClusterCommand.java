package dev.meridian.shell;

import java.io.PrintStream;
import java.util.stream.Collectors;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import dev.meridian.manager.GatewayAdmin;

/** {@code gateway:cluster}: every node, the revision it serves and its state (as {@code GET /api/v1/cluster}). */
@Command(scope = "gateway", name = "cluster", description = "Lists the cluster's nodes with the revision each serves.")
@Service
public class ClusterCommand extends GatewayCommand {

    @Override
    void run(PrintStream out) {
        ShellTable table = new ShellTable();
        table.column("NAME");
        table.column("REGION");
        table.column("ADDRESS");
        table.column("REVISION");
        table.column("STATE");
        table.column("PLUGINS");
        table.column("ERROR");
        for (GatewayAdmin.Node n : admin.cluster()) {
            String plugins = n.plugins().stream().map(ClusterCommand::describe).collect(Collectors.joining(", "));
            table.addRow().addContent(n.name(), n.region(), n.address(), n.revision(), n.state(), plugins, n.error());
        }
        table.print(out);
        out.println(admin.clusterSafe() ? "Every entry has its backup: one node may stop now."
            : "Partitions are migrating: stopping a node now may lose cache entries.");
    }

    static String describe(GatewayAdmin.Plugin plugin) {
        return plugin.type() + "@" + plugin.version() + (plugin.pending() ? " (pending)" : "");
    }
}
