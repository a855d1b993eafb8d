package dev.meridian.shell;

import java.io.PrintStream;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import dev.meridian.manager.AdminException;
import dev.meridian.manager.RevisionInfo;

/** {@code gateway:revisions [--limit n] [--before n]}: the revision history, newest first. */
@Command(scope = "gateway", name = "revisions", description = "Shows the revision history, newest first.")
@Service
public class RevisionsCommand extends GatewayCommand {

    static final int DEFAULT_LIMIT = 20;

    @Option(name = "-l", aliases = "--limit", description = "At most this many entries (default 20)")
    int limit = DEFAULT_LIMIT;

    @Option(name = "-b", aliases = "--before", description = "Only revisions older than this one")
    long before;

    @Override
    void run(PrintStream out) throws AdminException {
        if (limit < 1 || before < 0) {
            throw new AdminException(400, "--limit must be at least 1 and --before not negative");
        }
        ShellTable table = new ShellTable();
        table.column("REVISION").alignRight();
        table.column("TIME");
        table.column("USER");
        table.column("SOURCE");
        table.column("CHANGES");
        table.emptyTableText("No revisions");
        for (RevisionInfo info : admin.revisions(limit, before)) {
            table.addRow().addContent(info.revision(), Text.time(info.time()), info.user(), info.source(),
                    Text.changes(info));
        }
        table.print(out);
    }
}
