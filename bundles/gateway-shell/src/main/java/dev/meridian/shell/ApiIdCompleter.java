package dev.meridian.shell;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;

import dev.meridian.manager.GatewayAdmin;

/** Completes the ids of the current revision's APIs. */
@Service
public class ApiIdCompleter implements Completer {

    @Reference
    GatewayAdmin admin;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        return new StringsCompleter(admin.current().apis().keySet()).complete(session, commandLine, candidates);
    }
}
