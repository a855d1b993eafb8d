package dev.meridian.shell;

import java.io.PrintStream;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import dev.meridian.manager.GatewayAdmin;
import dev.meridian.model.ApiDefinition;

/** {@code gateway:list}: the APIs of the current revision. */
@Command(scope = "gateway", name = "list", description = "Lists the APIs of the current revision.")
@Service
public class ListCommand extends GatewayCommand {

    @Override
    void run(PrintStream out) {
        GatewayAdmin.State state = admin.current();
        ShellTable table = new ShellTable();
        table.column("ID");
        table.column("BASE PATH");
        table.column("UPSTREAM");
        table.column("POLICIES");
        table.emptyTableText("No APIs (revision " + state.revision() + ")");
        for (ApiDefinition api : state.apis().values()) {
            table.addRow().addContent(api.id(), api.basePath(), api.upstream().shown(), Text.policyTypes(api));
        }
        table.print(out);
    }
}
