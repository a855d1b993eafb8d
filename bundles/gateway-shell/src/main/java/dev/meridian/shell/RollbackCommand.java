package dev.meridian.shell;

import java.io.PrintStream;
import java.util.OptionalLong;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import dev.meridian.manager.AdminException;

/** {@code gateway:rollback <n>}: a new revision whose state equals revision n. */
@Command(scope = "gateway", name = "rollback", description = "Creates a new revision whose state equals an earlier one.")
@Service
public class RollbackCommand extends GatewayCommand {

    @Argument(index = 0, name = "revision", description = "The revision to return to", required = true)
    long to;

    @Override
    void run(PrintStream out) throws AdminException {
        out.println(Text.rolledBack(to, admin.rollback(to, actor(), OptionalLong.empty())));
    }
}
