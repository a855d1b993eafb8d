package dev.meridian.manager.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import javax.security.auth.Subject;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.LoginContext;
import javax.security.auth.login.LoginException;

import org.apache.karaf.jaas.boot.ProxyLoginModule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP Basic against Karaf's JAAS realm {@code karaf}: the same identity as the consoles and
 * ssh; the caller's Meridian role is the strongest its Karaf roles carry ({@link Role#fromKaraf}).
 * Successful logins are remembered for a short while (by a hash of the header) so a busy admin
 * client does not pay a JAAS login per call. Tokens given as Basic passwords are checked by
 * {@link AdminAuth} before this (never remembered here: a revocation takes effect at once).
 */
final class BasicAuth {

    private static final Logger LOG = LoggerFactory.getLogger(BasicAuth.class);
    private static final long REMEMBER_NANOS = 30_000_000_000L;
    private static final int MAX_REMEMBERED = 1024;

    private final String realm;
    private record Remembered(Caller caller, long untilNanos) {
    }

    private final ConcurrentHashMap<String, Remembered> remembered = new ConcurrentHashMap<>();

    BasicAuth(String realm) {
        this.realm = realm;
    }

    /** The authenticated caller for an {@code Authorization} header value, or empty. */
    Optional<Caller> authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return Optional.empty();
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) {
            return Optional.empty();
        }
        String user = decoded.substring(0, colon);
        String password = decoded.substring(colon + 1);
        String key = sha256(authorization);
        Remembered known = remembered.get(key);
        long now = System.nanoTime();
        if (known != null && known.untilNanos() - now > 0) {
            return Optional.of(known.caller());
        }
        Optional<Role> role = login(user, password);
        if (role.isEmpty()) {
            remembered.remove(key);
            return Optional.empty();
        }
        if (remembered.size() >= MAX_REMEMBERED) {
            remembered.clear();
        }
        Caller caller = new Caller(user, role.get());
        remembered.put(key, new Remembered(caller, now + REMEMBER_NANOS));
        return Optional.of(caller);
    }

    private Optional<Role> login(String user, String password) {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(ProxyLoginModule.class.getClassLoader());
        try {
            Subject subject = new Subject();
            LoginContext lc = new LoginContext(realm, subject, callbacks -> {
                for (var cb : callbacks) {
                    if (cb instanceof NameCallback n) {
                        n.setName(user);
                    } else if (cb instanceof PasswordCallback p) {
                        p.setPassword(password.toCharArray());
                    } else {
                        throw new UnsupportedCallbackException(cb);
                    }
                }
            });
            lc.login();
            java.util.List<String> roles = new java.util.ArrayList<>();
            for (Principal p : subject.getPrincipals()) {
                if (p.getClass().getSimpleName().equals("RolePrincipal")) {
                    roles.add(p.getName());
                }
            }
            lc.logout();
            return Role.fromKaraf(roles);
        } catch (LoginException e) {
            LOG.debug("admin login of '{}' refused: {}", user, e.getMessage());
            return Optional.empty();
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
