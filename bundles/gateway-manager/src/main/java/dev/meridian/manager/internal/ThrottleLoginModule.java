package dev.meridian.manager.internal;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

import javax.security.auth.Subject;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.FailedLoginException;
import javax.security.auth.login.LoginException;
import javax.security.auth.spi.LoginModule;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's {@link LoginThrottle} on password logins over ssh and the web console (CONTRACT §9),
 * first in the realm {@code karaf} ({@link TokenRealm}) as {@code REQUISITE}: from an address that
 * is slowed it throws at once, so the login is refused without any password being checked and
 * without a thread sleeping (sshd and Jetty have few); otherwise it answers {@code false} ("ignore
 * me") and the modules after it decide, and it is told how by JAAS: {@link #commit} (success
 * forgets the address's failures) or {@link #abort} (a failure of the address, logged at INFO with
 * the door, the address and the user, never the password). The admin API is the third door of the
 * same throttle; it counts in {@link AdminServlet} (its logins carry no client principal).
 *
 * <p>Where the address comes from: {@link LoginDoor} (Karaf's own {@code ClientPrincipal}s, so
 * nothing of Karaf is replaced or forked). A refused web console login is answered 401 by Karaf's
 * {@code JaasSecurityProvider}, which treats the throw like a wrong password.
 *
 * <p>Public-key logins over ssh (no password callback) are logged at INFO when refused but never
 * counted, and never refused for a slowed address: a key cannot be guessed like a password (a
 * login with one needs its private key's signature), and clients routinely offer every key of
 * their agent before the right one, so counting them would slow a legitimate user's address after
 * five keys while slowing no attacker.
 */
public final class ThrottleLoginModule implements LoginModule {

    private static final Logger LOG = LoggerFactory.getLogger(ThrottleLoginModule.class);
    private static final int MAX_USER_CHARS = 64;

    /** What this login is, for {@link #abort} and {@link #commit}. */
    private enum Kind { NOT_OURS, PASSWORD, PUBLIC_KEY }

    private Subject subject;
    private CallbackHandler handler;
    private LoginThrottle throttle;
    private Kind kind = Kind.NOT_OURS;
    private LoginDoor door;
    private String user;

    @Override
    public void initialize(Subject subject, CallbackHandler callbackHandler, Map<String, ?> sharedState, Map<String, ?> options) {
        this.subject = subject;
        this.handler = callbackHandler;
        this.throttle = (LoginThrottle) options.get(TokenRealm.THROTTLE_OPTION);
    }

    @Override
    public boolean login() throws LoginException {
        kind = Kind.NOT_OURS;
        Optional<LoginDoor> from = LoginDoor.of(subject);
        if (throttle == null || from.isEmpty()) {
            return false;
        }
        door = from.get();
        Optional<PasswordCredentials> given = PasswordCredentials.ask(handler);
        if (given.isEmpty()) {
            // no password: an ssh public-key login (Karaf's key handler answers the name only)
            kind = Kind.PUBLIC_KEY;
            user = printable(claimedName(handler));
            return false;
        }
        user = printable(given.get().user());
        long wait = throttle.waitNanos(door.address(), System.nanoTime());
        if (wait > 0) {
            LOG.info("refused {} login of user '{}' from {}: too many failed logins, address slowed for {} ms more (password not checked)",
                door.name(), user, door.address(), wait / 1_000_000);
            throw new FailedLoginException("too many failed logins from " + door.address() + "; retry later");
        }
        kind = Kind.PASSWORD;
        return false;
    }

    @Override
    public boolean commit() {
        if (kind == Kind.PASSWORD) {
            throttle.succeeded(door.address());
        }
        kind = Kind.NOT_OURS;
        return false;
    }

    @Override
    public boolean abort() {
        if (kind == Kind.PASSWORD) {
            long closed = throttle.failed(door.address(), System.nanoTime());
            LOG.info("refused {} login of user '{}' from {}{}", door.name(), user, door.address(),
                closed > 0 ? " (address slowed for " + closed / 1_000_000 + " ms)" : "");
        } else if (kind == Kind.PUBLIC_KEY) {
            LOG.info("refused {} public-key login of user '{}' from {} (keys are not counted by the login throttle)",
                door.name(), user, door.address());
        }
        kind = Kind.NOT_OURS;
        return false;
    }

    @Override
    public boolean logout() {
        return false;
    }

    /** The user name alone, as a public-key login's handler gives it, or null. */
    private static String claimedName(CallbackHandler handler) {
        if (handler == null) {
            return null;
        }
        NameCallback name = new NameCallback("user: ");
        try {
            handler.handle(new Callback[] {name});
        } catch (IOException | UnsupportedCallbackException e) {
            return null;
        }
        return name.getName();
    }

    /** A claimed user name fit for one log line: printable ASCII, at most {@value #MAX_USER_CHARS} characters. */
    static String printable(String name) {
        if (name == null) {
            return "-";
        }
        String s = name.length() > MAX_USER_CHARS ? name.substring(0, MAX_USER_CHARS) + "…" : name;
        return s.replaceAll("[^\\x20-\\x7e…]", "?");
    }
}
