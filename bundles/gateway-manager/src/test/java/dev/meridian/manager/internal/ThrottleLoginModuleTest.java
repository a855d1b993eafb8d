package dev.meridian.manager.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import javax.security.auth.Subject;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.AppConfigurationEntry.LoginModuleControlFlag;
import javax.security.auth.login.Configuration;
import javax.security.auth.login.LoginContext;
import javax.security.auth.login.LoginException;
import javax.security.auth.spi.LoginModule;

import org.apache.karaf.jaas.boot.principal.ClientPrincipal;
import org.apache.karaf.jaas.boot.principal.UserPrincipal;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The throttle module in a real JDK {@link LoginContext}, configured as {@link TokenRealm} does
 * (throttle REQUISITE, then an OPTIONAL password module), with the subjects Karaf's ssh authenticator
 * and web console make ({@code ClientPrincipal("ssh", "/addr:port")}, {@code ClientPrincipal("webconsole", "addr:port")}).
 */
class ThrottleLoginModuleTest {

    /** How many times the password module behind the throttle was asked (a checked password). */
    static final AtomicInteger CHECKED = new AtomicInteger();
    static final String RIGHT = "s3cret";

    private final LoginThrottle throttle = new LoginThrottle();

    /** Accepts user {@code admin} with {@link #RIGHT}, as Karaf's properties module would. */
    public static final class PasswordModule implements LoginModule {
        private Subject subject;
        private CallbackHandler handler;
        private boolean ok;

        @Override
        public void initialize(Subject s, CallbackHandler h, Map<String, ?> shared, Map<String, ?> options) {
            subject = s;
            handler = h;
        }

        @Override
        public boolean login() throws LoginException {
            CHECKED.incrementAndGet();
            NameCallback n = new NameCallback("u");
            PasswordCallback p = new PasswordCallback("p", false);
            try {
                handler.handle(new Callback[] {n, p});
            } catch (Exception e) {
                return false;
            }
            ok = p.getPassword() != null && "admin".equals(n.getName()) && RIGHT.equals(new String(p.getPassword()));
            if (!ok) {
                throw new javax.security.auth.login.FailedLoginException("wrong password");
            }
            return true;
        }

        @Override
        public boolean commit() {
            if (ok) {
                subject.getPrincipals().add(new UserPrincipal("admin"));
            }
            return ok;
        }

        @Override
        public boolean abort() {
            return true;
        }

        @Override
        public boolean logout() {
            return true;
        }
    }

    @BeforeEach
    void reset() {
        CHECKED.set(0);
    }

    private Configuration realm() {
        Map<String, Object> options = Map.of(TokenRealm.THROTTLE_OPTION, throttle);
        AppConfigurationEntry[] entries = {
            new AppConfigurationEntry(ThrottleLoginModule.class.getName(), LoginModuleControlFlag.REQUISITE, options),
            new AppConfigurationEntry(PasswordModule.class.getName(), LoginModuleControlFlag.OPTIONAL, Map.of())};
        return new Configuration() {
            @Override
            public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
                return entries;
            }
        };
    }

    private Subject login(String clientMethod, String from, CallbackHandler handler) throws LoginException {
        Subject subject = new Subject();
        if (clientMethod != null) {
            subject.getPrincipals().add(new ClientPrincipal(clientMethod, from));
        }
        new LoginContext("karaf", subject, handler, realm()).login();
        return subject;
    }

    private static CallbackHandler password(String user, String password) {
        return callbacks -> {
            for (Callback c : callbacks) {
                if (c instanceof NameCallback n) {
                    n.setName(user);
                } else if (c instanceof PasswordCallback p) {
                    p.setPassword(password.toCharArray());
                } else {
                    throw new UnsupportedCallbackException(c);
                }
            }
        };
    }

    @Test
    void should_refuse_without_checking_the_password_once_an_address_has_failed_five_times() throws Exception {
        for (int i = 1; i <= LoginThrottle.FREE + 1; i++) {
            assertThrows(LoginException.class, () -> login("ssh", "/10.0.0.9:40000", password("mallory", "guess")));
        }
        assertEquals(LoginThrottle.FREE + 1, CHECKED.get(), "each failure before the address closes is checked and counted");
        assertTrue(throttle.waitNanos("10.0.0.9", System.nanoTime()) > 0);
        LoginException e = assertThrows(LoginException.class, () -> login("ssh", "/10.0.0.9:40001", password("admin", RIGHT)));
        assertTrue(e.getMessage().contains("too many failed logins from 10.0.0.9"), e.getMessage());
        assertEquals(LoginThrottle.FREE + 1, CHECKED.get(), "the right password from a closed address is not even checked");
        Subject other = login("ssh", "/10.0.0.10:40002", password("admin", RIGHT));
        assertTrue(other.getPrincipals(UserPrincipal.class).stream().anyMatch(p -> p.getName().equals("admin")), "another address is not slowed");
    }

    @Test
    void should_forget_an_address_s_failures_on_a_success_and_never_make_a_login_succeed_itself() throws Exception {
        for (int i = 0; i < LoginThrottle.FREE; i++) {
            assertThrows(LoginException.class, () -> login("ssh", "/10.0.0.11:40000", password("admin", "wrong")));
        }
        login("ssh", "/10.0.0.11:40000", password("admin", RIGHT));
        assertEquals(0, throttle.tracked(), "a success forgets the failures");
        Configuration alone = new Configuration() {
            @Override
            public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
                return new AppConfigurationEntry[] {new AppConfigurationEntry(ThrottleLoginModule.class.getName(),
                    LoginModuleControlFlag.REQUISITE, Map.of(TokenRealm.THROTTLE_OPTION, throttle))};
            }
        };
        Subject s = new Subject();
        s.getPrincipals().add(new ClientPrincipal("ssh", "/10.0.0.12:1"));
        assertThrows(LoginException.class, () -> new LoginContext("karaf", s, password("admin", RIGHT), alone).login(),
            "the throttle alone accepts nobody");
    }

    @Test
    void should_count_web_console_and_ssh_failures_of_one_address_together() throws Exception {
        for (int i = 0; i < LoginThrottle.FREE - 1; i++) {
            int port = 50000 + i;
            assertThrows(LoginException.class, () -> login("webconsole", "10.0.0.20:" + port, password("mallory", "guess")));
        }
        assertThrows(LoginException.class, () -> login("ssh", "/10.0.0.20:40000", password("mallory", "guess")));
        assertThrows(LoginException.class, () -> login("webconsole", "10.0.0.20:50100", password("mallory", "guess")));
        assertTrue(throttle.waitNanos("10.0.0.20", System.nanoTime()) > 0, "the sixth failure, at either door, closes the address");
        int checked = CHECKED.get();
        LoginException e = assertThrows(LoginException.class, () -> login("webconsole", "10.0.0.20:50101", password("admin", RIGHT)));
        assertTrue(e.getMessage().contains("too many failed logins from 10.0.0.20"), e.getMessage());
        assertEquals(checked, CHECKED.get(), "the right password at the web console is not checked while the address is slowed");
    }

    @Test
    void should_key_a_web_console_client_by_its_address_without_the_port() {
        assertEquals("127.0.0.2", doorOf("webconsole", "127.0.0.2:50123").address());
        assertEquals("0:0:0:0:0:0:0:1", doorOf("webconsole", "0:0:0:0:0:0:0:1:50123").address(), "IPv6 as Jetty gives it, port last");
        assertEquals("::1", doorOf("webconsole", "[::1]:50123").address());
        assertEquals("127.0.0.2", doorOf("ssh", "/127.0.0.2:50123").address());
        assertEquals("0:0:0:0:0:0:0:1", doorOf("ssh", "/[0:0:0:0:0:0:0:1]:50123").address());
        assertEquals(LoginDoor.WEB_CONSOLE, doorOf("webconsole", "127.0.0.2:1").name());
        assertTrue(LoginDoor.of(subjectOf("http", "127.0.0.2")).isEmpty(), "only ssh and the web console are doors here");
        assertTrue(LoginDoor.of(new Subject()).isEmpty());
    }

    private static Subject subjectOf(String method, String address) {
        Subject s = new Subject();
        s.getPrincipals().add(new ClientPrincipal(method, address));
        return s;
    }

    private static LoginDoor doorOf(String method, String address) {
        return LoginDoor.of(subjectOf(method, address)).orElseThrow();
    }

    @Test
    void should_leave_logins_alone_that_are_not_ssh_passwords() throws Exception {
        for (int i = 0; i < 10; i++) {
            assertThrows(LoginException.class, () -> login(null, null, password("admin", "wrong")));
            assertThrows(LoginException.class, () -> login("http", "10.0.0.13", password("admin", "wrong")));
        }
        CallbackHandler publicKey = callbacks -> {
            for (Callback c : callbacks) {
                if (c instanceof NameCallback n) {
                    n.setName("admin");
                } else {
                    throw new UnsupportedCallbackException(c); // what Karaf's public-key handler does with a PasswordCallback
                }
            }
        };
        for (int i = 0; i < 10; i++) {
            assertThrows(LoginException.class, () -> login("ssh", "/10.0.0.14:1", publicKey));
        }
        assertEquals(0, throttle.tracked(), "Basic (the admin API counts it itself), http and public keys are not counted here");
    }

    @Test
    void should_keep_a_claimed_user_name_printable_and_short() {
        assertEquals("ma?lory", ThrottleLoginModule.printable("ma\nlory"));
        assertEquals(65, ThrottleLoginModule.printable("x".repeat(500)).length());
        assertEquals("-", ThrottleLoginModule.printable(null));
    }
}
