package dev.meridian.manager.internal;

import java.util.Map;
import java.util.Optional;

import javax.security.auth.Subject;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.login.FailedLoginException;
import javax.security.auth.login.LoginException;
import javax.security.auth.spi.LoginModule;

import org.apache.karaf.jaas.boot.principal.ClientPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's {@link LoginThrottle} on ssh password logins (CONTRACT §9), first in the realm
 * {@code karaf} ({@link TokenRealm}) as {@code REQUISITE}: from an address that is slowed it throws
 * at once, so the login is refused without any password being checked and without a thread
 * sleeping (sshd has few); otherwise it answers {@code false} ("ignore me") and the modules after
 * it decide, and it is told how by JAAS: {@link #commit} (success forgets the address's failures)
 * or {@link #abort} (a failure of the address, logged at INFO with the address and the user, never
 * the password).
 *
 * <p>How the address gets here: Karaf 4.4's {@code KarafJaasAuthenticator} (its sshd's
 * {@code PasswordAuthenticator}) puts {@code ClientPrincipal("ssh", session.getClientAddress())}
 * in the subject before {@code LoginContext.login()}, and JAAS hands that subject to every module's
 * {@code initialize}. That is Karaf's own contract, so nothing of Karaf is replaced or forked (an
 * authenticator of ours wrapping Karaf's would have to replace the one Karaf's ssh bundle builds in
 * its activator, which it offers no hook for). Logins without an ssh client principal (the admin
 * API's Basic, which throttles itself; the web console) and public-key logins (no password
 * callback: a key cannot be guessed) are not this module's business.
 */
public final class SshThrottleLoginModule implements LoginModule {

    private static final Logger LOG = LoggerFactory.getLogger(SshThrottleLoginModule.class);
    private static final int MAX_USER_CHARS = 64;

    private Subject subject;
    private CallbackHandler handler;
    private LoginThrottle throttle;
    /** The address of the password login being checked, or null when it is not ours to count. */
    private String source;
    private String user;

    @Override
    public void initialize(Subject subject, CallbackHandler callbackHandler, Map<String, ?> sharedState, Map<String, ?> options) {
        this.subject = subject;
        this.handler = callbackHandler;
        this.throttle = (LoginThrottle) options.get(TokenRealm.THROTTLE_OPTION);
    }

    @Override
    public boolean login() throws LoginException {
        source = null;
        String address = sshAddress(subject);
        if (throttle == null || address == null) {
            return false;
        }
        Optional<PasswordCredentials> given = PasswordCredentials.ask(handler);
        if (given.isEmpty()) {
            return false; // a public-key login: not throttled
        }
        String who = printable(given.get().user());
        long wait = throttle.waitNanos(address, System.nanoTime());
        if (wait > 0) {
            LOG.info("refused ssh login of user '{}' from {}: too many failed logins, address slowed for {} ms more (password not checked)",
                who, address, wait / 1_000_000);
            throw new FailedLoginException("too many failed logins from " + address + "; retry later");
        }
        source = address;
        user = who;
        return false;
    }

    @Override
    public boolean commit() {
        if (source != null) {
            throttle.succeeded(source);
            source = null;
        }
        return false;
    }

    @Override
    public boolean abort() {
        if (source != null) {
            long closed = throttle.failed(source, System.nanoTime());
            LOG.info("refused ssh login of user '{}' from {}{}", user, source,
                closed > 0 ? " (address slowed for " + closed / 1_000_000 + " ms)" : "");
            source = null;
        }
        return false;
    }

    @Override
    public boolean logout() {
        return false;
    }

    /** The throttle's key of the ssh client's address in {@code subject}, or null when it has none. */
    static String sshAddress(Subject subject) {
        if (subject == null) {
            return null;
        }
        for (ClientPrincipal p : subject.getPrincipals(ClientPrincipal.class)) {
            if ("ssh".equals(p.getMethod()) && p.getAddress() != null) {
                return LoginThrottle.address(p.getAddress());
            }
        }
        return null;
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
