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

    /** The shell user (as logged in over ssh or at the console) making a change, with the role its Karaf roles give. */
    GatewayAdmin.Actor actor() {
        return new GatewayAdmin.Actor(user(), SOURCE, role(), SOURCE);
    }

    /**
     * The strongest Meridian role among the session subject's Karaf roles ({@code admin},
     * {@code operator}, {@code viewer}); {@code admin} at the local console, which has no subject
     * of a remote login (Karaf's command ACLs decided already whether the command may run).
     */
    @SuppressWarnings("removal") // Subject.getSubject(AccessControlContext): how Karaf 4.4 carries the shell's subject on Java 17
    private static String role() {
        javax.security.auth.Subject subject = javax.security.auth.Subject.getSubject(java.security.AccessController.getContext());
        if (subject == null) {
            return "admin";
        }
        String best = null;
        for (java.security.Principal p : subject.getPrincipals()) {
            if (!p.getClass().getSimpleName().equals("RolePrincipal")) {
                continue;
            }
            String r = p.getName();
            if (r.equals("admin") || r.equals("operator") && !"admin".equals(best) || r.equals("viewer") && best == null) {
                best = r;
            }
        }
        return best == null ? "admin" : best;
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
