package dev.meridian.shell;

import java.io.PrintStream;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import dev.meridian.manager.AdminException;
import dev.meridian.manager.AuditEntry;

/** {@code gateway:audit [--limit n]}: who changed what, newest first (as {@code GET /api/v1/audit}). */
@Command(scope = "gateway", name = "audit", description = "Shows the audit: changes, tokens, invalidations and refused calls, newest first.")
@Service
public class AuditCommand extends GatewayCommand {

    @Option(name = "-l", aliases = "--limit", description = "At most this many entries (default 100, at most 1000)")
    int limit = 100;

    @Override
    void run(PrintStream out) throws AdminException {
        if (limit < 1 || limit > 1000) {
            throw new AdminException(400, "--limit must be between 1 and 1000");
        }
        ShellTable table = new ShellTable();
        table.column("TIME");
        table.column("USER");
        table.column("ROLE");
        table.column("SOURCE");
        table.column("CALL");
        table.column("REVISION").alignRight();
        table.column("SUMMARY");
        table.emptyTableText("No audit entries");
        for (AuditEntry e : admin.audit(limit)) {
            table.addRow().addContent(Text.time(e.time()), e.user(), e.role(), e.source(), e.call(),
                e.revision() == 0 ? "" : Long.toString(e.revision()), e.summary());
        }
        table.print(out);
    }
}
