package dev.meridian.shell;

import java.io.IOException;
import java.io.InputStream;
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
import dev.meridian.manager.Change;
import dev.meridian.manager.GatewayAdmin;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.CanaryPolicy;
import dev.meridian.model.DefinitionException;

/**
 * {@code gateway:apply <file|dir> | --input [--prune] [--dry-run]}: one file or a directory, as one
 * revision; {@code --input} reads the definitions from the session's input
 * ({@code ssh ... 'gateway:apply --input' < orders.yaml}; Karaf's parser takes a lone {@code -} for an option).
 *
 * <p>A path is read on the node, with the node's rights: it could name {@code etc/host.key}, the
 * secrets directory or a keystore, and a parse error may quote what it read. So only {@code admin}
 * (who may read those anyway, with {@code shell:cat}) applies paths; {@code operator} sends the
 * definitions on the input, as it sends them to the admin API.
 */
@Command(scope = "gateway", name = "apply",
        description = "Applies API definitions from a file, a directory or the input (--input) atomically, as one revision.",
        detailedDescription = "A file may hold one definition or a set (YAML multi-document, YAML list or JSON array). "
                + "A directory contributes every *.yaml, *.yml and *.json file in it (not recursive); "
                + "together they are applied as one set. --input reads one file's worth from the input "
                + "(ssh -p 8101 user@host 'gateway:apply --input' < orders.yaml); paths on the node need the admin role.")
@Service
public class ApplyCommand extends GatewayCommand {

    /** The most the input may carry, as the admin API's body. */
    static final int MAX_INPUT = 10 * 1024 * 1024;

    @Argument(index = 0, name = "path", description = "A definition file or a directory of them (admin only)")
    @Completion(FileCompleter.class)
    String path;

    @Option(name = "-i", aliases = "--input", description = "Read the definitions from the input (up to 10 MiB) instead of a path")
    boolean input;

    @Option(name = "--prune", description = "Delete the APIs that are not in the set")
    boolean prune;

    @Option(name = "-n", aliases = "--dry-run", description = "Validate and show what would change, without applying")
    boolean dryRun;

    @Option(name = "--canary", description = "Apply as a canary serving this share of requests (e.g. 5%) beside the"
        + " current revision; promote or abort with gateway:canary")
    String canary;

    @Option(name = "--sticky-by", description = "With --canary: ip (default), header:<Name> or cookie:<Name>")
    String stickyBy;

    @Option(name = "--window", description = "With --canary: the window its limits are checked over (default 5m)")
    String window;

    @Option(name = "--max-error-rate", description = "With --canary: how far its 5xx rate may exceed the stable side's (default +1pp)")
    String maxErrorRate;

    @Option(name = "--max-p99", description = "With --canary: how many times the stable side's p99 its p99 may reach (default 1.2x)")
    String maxP99;

    /** The caller, as a canary when {@code --canary} is given (the options checked as the admin API checks them). */
    private GatewayAdmin.Actor caller() throws AdminException {
        if (canary == null) {
            return actor();
        }
        java.util.Map<String, String> params = new java.util.LinkedHashMap<>();
        params.put("canary", canary);
        java.util.Map<String, String> options = new java.util.LinkedHashMap<>();
        options.put("stickyBy", stickyBy);
        options.put("window", window);
        options.put("maxErrorRate", maxErrorRate);
        options.put("maxP99", maxP99);
        options.forEach((k, v) -> {
            if (v != null) {
                params.put(k, v);
            }
        });
        try {
            return actor().asCanary(CanaryPolicy.parse(params));
        } catch (DefinitionException e) {
            throw new AdminException(422, "invalid canary", e.problems());
        }
    }

    private byte[] readInput() throws AdminException {
        InputStream in = session == null ? null : session.getKeyboard();
        if (in == null) {
            throw new AdminException(400, "this session has no input to read definitions from");
        }
        try {
            byte[] body = in.readNBytes(MAX_INPUT + 1);
            if (body.length > MAX_INPUT) {
                throw new AdminException(413, "input larger than 10 MiB");
            }
            if (body.length == 0) {
                throw new AdminException(400, "no definitions on the input");
            }
            return body;
        } catch (IOException e) {
            throw new AdminException(400, "cannot read the input: " + e.getMessage());
        }
    }

    @Override
    void run(PrintStream out) throws AdminException {
        List<ApiDefinition> apis;
        if (input == (path != null)) {
            throw new AdminException(400, "give either a path or --input");
        } else if (input) {
            apis = DefinitionFiles.read(readInput(), "the input");
        } else if (!"admin".equals(actor().role())) {
            throw new AdminException(403, "gateway:apply <path> reads the node's files and needs the admin role;"
                    + " send the definitions on the input instead: ssh ... 'gateway:apply --input' < definitions.yaml");
        } else {
            apis = DefinitionFiles.read(resolve(path));
        }
        if (dryRun) {
            out.println(Text.validated(admin.validate(apis, prune)));
        } else {
            GatewayAdmin.Actor caller = caller();
            Change c = admin.applySet(apis, prune, caller, OptionalLong.empty());
            out.println(Text.applied(c) + (caller.canary() != null && c.changed() ? " as a canary of " + caller.canary().share()
                + " beside revision " + (c.revision() - 1) : ""));
        }
    }
}
