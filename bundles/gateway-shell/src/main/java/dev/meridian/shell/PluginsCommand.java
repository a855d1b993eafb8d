package dev.meridian.shell;

import java.io.PrintStream;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import dev.meridian.manager.GatewayAdmin;

/** {@code gateway:plugins}: the policy and transform types installed on this node, and those on their way (pending). */
@Command(scope = "gateway", name = "plugins", description = "Lists the policy and transform types installed on this node.")
@Service
public class PluginsCommand extends GatewayCommand {

    @Override
    void run(PrintStream out) {
        ShellTable table = new ShellTable();
        table.column("TYPE");
        table.column("BUNDLE");
        table.column("VERSION");
        table.column("STATE");
        table.emptyTableText("No policy types installed");
        for (GatewayAdmin.Plugin plugin : admin.plugins()) {
            table.addRow().addContent(plugin.type(), plugin.bundle(), plugin.version(),
                    plugin.pending() ? "pending" : plugin.active() ? "active" : "inactive");
        }
        table.print(out);
    }
}
