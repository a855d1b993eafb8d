package dev.meridian.shell;

import java.io.PrintStream;
import java.util.stream.Collectors;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import dev.meridian.manager.GatewayAdmin;
import dev.meridian.model.ConsumerDefinition;
import dev.meridian.model.ConsumerKey;

/** {@code gateway:consumers}: the consumers of the current revision, with key ids and expiry (never a key or its hash). */
@Command(scope = "gateway", name = "consumers", description = "Lists the consumers of the current revision and their key ids.")
@Service
public class ConsumersCommand extends GatewayCommand {

    @Override
    void run(PrintStream out) {
        GatewayAdmin.State state = admin.current();
        ShellTable table = new ShellTable();
        table.column("ID");
        table.column("GROUPS");
        table.column("KEYS");
        table.emptyTableText("No consumers (revision " + state.revision() + ")");
        for (ConsumerDefinition c : state.consumers().values()) {
            table.addRow().addContent(c.id(), String.join(",", c.groups()),
                c.keys().stream().map(ConsumersCommand::key).collect(Collectors.joining(", ")));
        }
        table.print(out);
    }

    private static String key(ConsumerKey k) {
        return k.id() + k.expiresAt().map(at -> " (expires " + at + ")").orElse("");
    }
}
