package dev.meridian.shell;

import java.io.PrintStream;
import java.util.OptionalLong;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import dev.meridian.manager.AdminException;
import dev.meridian.manager.Change;

/** {@code gateway:delete <id>}: removes one API in a new revision. */
@Command(scope = "gateway", name = "delete", description = "Deletes one API (a new revision; its cache is dropped).")
@Service
public class DeleteCommand extends GatewayCommand {

    @Argument(index = 0, name = "id", description = "The API id", required = true)
    @Completion(ApiIdCompleter.class)
    String id;

    @Override
    void run(PrintStream out) throws AdminException {
        Change change = admin.delete(id, actor(), OptionalLong.empty());
        out.println("Deleted " + id + ": revision " + change.revision());
    }
}
