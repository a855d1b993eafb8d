package dev.meridian.shell;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import dev.meridian.manager.AdminException;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.Json;

/** {@code gateway:show <id> [--revision n]}: one definition as applied, as JSON. */
@Command(scope = "gateway", name = "show", description = "Shows one API definition as applied, as JSON.")
@Service
public class ShowCommand extends GatewayCommand {

    @Argument(index = 0, name = "id", description = "The API id", required = true)
    @Completion(ApiIdCompleter.class)
    String id;

    @Option(name = "-r", aliases = "--revision", description = "Show it as it was in this revision (default: the current one)")
    long revision;

    @Override
    void run(PrintStream out) throws AdminException {
        ApiDefinition api = revision > 0 ? fromRevision() : admin.current().apis().get(id);
        if (api == null) {
            throw new AdminException(404, "no API '" + id + "'");
        }
        out.print(new String(Json.writePretty(api.toTree()), StandardCharsets.UTF_8));
    }

    private ApiDefinition fromRevision() throws AdminException {
        return admin.revision(revision)
                .orElseThrow(() -> new AdminException(404, "no revision " + revision))
                .apis().stream()
                .filter(api -> api.id().equals(id))
                .findFirst()
                .orElseThrow(() -> new AdminException(404, "no API '" + id + "' in revision " + revision));
    }
}
