package dev.meridian.shell;

import java.io.PrintStream;
import java.util.List;
import java.util.OptionalLong;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;

import dev.meridian.manager.AdminException;
import dev.meridian.model.ApiDefinition;

/** {@code gateway:apply <file|dir> [--prune] [--dry-run]}: one file or a directory, as one revision. */
@Command(scope = "gateway", name = "apply",
        description = "Applies API definitions from a file or a directory atomically, as one revision.",
        detailedDescription = "A file may hold one definition or a set (YAML multi-document, YAML list or JSON array). "
                + "A directory contributes every *.yaml, *.yml and *.json file in it (not recursive); "
                + "together they are applied as one set.")
@Service
public class ApplyCommand extends GatewayCommand {

    @Argument(index = 0, name = "path", description = "A definition file or a directory of them", required = true)
    @Completion(FileCompleter.class)
    String path;

    @Option(name = "--prune", description = "Delete the APIs that are not in the set")
    boolean prune;

    @Option(name = "-n", aliases = "--dry-run", description = "Validate and show what would change, without applying")
    boolean dryRun;

    @Override
    void run(PrintStream out) throws AdminException {
        List<ApiDefinition> apis = DefinitionFiles.read(resolve(path));
        if (dryRun) {
            out.println(Text.validated(admin.validate(apis, prune)));
        } else {
            out.println(Text.applied(admin.applySet(apis, prune, actor(), OptionalLong.empty())));
        }
    }
}
