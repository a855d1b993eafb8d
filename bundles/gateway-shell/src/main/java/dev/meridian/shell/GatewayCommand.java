package dev.meridian.shell;

import java.io.PrintStream;
import java.nio.file.Path;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.ShellUtil;

import dev.meridian.manager.AdminException;
import dev.meridian.manager.GatewayAdmin;

/**
 * What every {@code gateway:} command shares: the admin service, the acting user, and one way
 * of reporting a refused call. Output goes to {@code System.out}, which Karaf routes to the
 * calling session (console or ssh); {@link #execute()} returns {@code null} because Karaf does
 * not print return values over {@code ssh ... exec}.
 */
abstract class GatewayCommand implements Action {

    /** The {@code source} recorded in the revision history for changes made here. */
    static final String SOURCE = "shell";

    @Reference
    GatewayAdmin admin;

    @Reference
    Session session;

    /** The response cache; absent on a node without the cluster's store. */
    @Reference(optional = true)
    dev.meridian.cache.ResponseCache cache;

    @Override
    public Object execute() {
        PrintStream out = System.out;
        try {
            run(out);
        } catch (AdminException e) {
            Text.errorLines(e).forEach(out::println);
        }
        return null;
    }

    /** Does the command's work, printing its result to {@code out}. */
    abstract void run(PrintStream out) throws AdminException;

    /** The response cache, or 503 as the admin API answers when it is not running here. */
    dev.meridian.cache.ResponseCache cache() throws AdminException {
        if (cache == null) {
            throw new AdminException(503, "the response cache is not running on this node");
        }
        return cache;
    }

    /** The shell user (as logged in over ssh or at the console) making a change. */
    GatewayAdmin.Actor actor() {
        return new GatewayAdmin.Actor(user(), SOURCE);
    }

    private String user() {
        Object fromSession = session == null ? null : session.get("USER");
        if (fromSession instanceof String name && !name.isBlank()) {
            return name;
        }
        String fromSubject = ShellUtil.getCurrentUserName();
        return fromSubject == null || fromSubject.isBlank() ? SOURCE : fromSubject;
    }

    /** {@code path} as typed, relative to the session's current directory ({@code cd}). */
    Path resolve(String path) {
        Path given = Path.of(path);
        if (given.isAbsolute() || session == null || session.currentDir() == null) {
            return given.toAbsolutePath().normalize();
        }
        return session.currentDir().resolve(given).normalize();
    }
}
