package dev.meridian.shell;

import java.io.PrintStream;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import dev.meridian.manager.AdminException;
import dev.meridian.manager.GatewayAdmin;

/**
 * {@code gateway:secrets-reload}: reads this node's secret files again and serves the current
 * revision with them (a new route table generation; no new revision, other nodes untouched).
 */
@Command(scope = "gateway", name = "secrets-reload",
    description = "Reads MERIDIAN_SECRETS_DIR again and recompiles the current revision on this node.")
@Service
public class SecretsReloadCommand extends GatewayCommand {

    @Override
    void run(PrintStream out) throws AdminException {
        GatewayAdmin.Reload r = admin.reloadSecrets();
        out.println("Secrets reloaded: revision " + r.revision() + " serves as generation " + r.generation());
    }
}
