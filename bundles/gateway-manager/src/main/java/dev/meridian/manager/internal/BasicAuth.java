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
 * ssh. A caller needs the {@code admin} role. Successful logins are remembered for a short
 * while (by a hash of the header) so a busy admin client does not pay a JAAS login per call.
 */
final class BasicAuth {

    private static final Logger LOG = LoggerFactory.getLogger(BasicAuth.class);
    private static final long REMEMBER_NANOS = 30_000_000_000L;
    private static final int MAX_REMEMBERED = 1024;

    private final String realm;
    private final ConcurrentHashMap<String, Long> remembered = new ConcurrentHashMap<>();

    BasicAuth(String realm) {
        this.realm = realm;
    }

    /** The authenticated admin user for an {@code Authorization} header value, or empty. */
    Optional<String> authenticate(String authorization) {
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
        Long until = remembered.get(key);
        long now = System.nanoTime();
        if (until != null && until - now > 0) {
            return Optional.of(user);
        }
        if (!login(user, password)) {
            remembered.remove(key);
            return Optional.empty();
        }
        if (remembered.size() >= MAX_REMEMBERED) {
            remembered.clear();
        }
        remembered.put(key, now + REMEMBER_NANOS);
        return Optional.of(user);
    }

    private boolean login(String user, String password) {
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
            boolean admin = false;
            for (Principal p : subject.getPrincipals()) {
                if (p.getClass().getSimpleName().equals("RolePrincipal") && p.getName().equals("admin")) {
                    admin = true;
                }
            }
            lc.logout();
            return admin;
        } catch (LoginException e) {
            LOG.debug("admin login of '{}' refused: {}", user, e.getMessage());
            return false;
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
