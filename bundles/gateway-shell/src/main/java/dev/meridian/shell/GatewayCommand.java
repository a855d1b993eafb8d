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
 * What every {@code gateway:} command shares: the admin service (the manager's API, the only
 * thing the commands talk to), the acting user, and one way of reporting a refused call. Output goes to {@code System.out}, which Karaf routes to the
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
