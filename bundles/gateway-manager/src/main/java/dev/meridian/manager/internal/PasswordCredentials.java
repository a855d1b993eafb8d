package dev.meridian.manager.internal;

import java.io.IOException;
import java.util.Optional;

import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;

/**
 * The user name and password a JAAS login's callback handler gives, asked the same way by every
 * login module of ours ({@link TokenLoginModule}, {@link ThrottleLoginModule}).
 */
record PasswordCredentials(String user, String password) {

    /** What {@code handler} gives, or empty when it has no name or no password (a public-key login throws for the latter). */
    static Optional<PasswordCredentials> ask(CallbackHandler handler) {
        if (handler == null) {
            return Optional.empty();
        }
        NameCallback name = new NameCallback("user: ");
        PasswordCallback password = new PasswordCallback("password: ", false);
        try {
            handler.handle(new Callback[] {name, password});
        } catch (IOException | UnsupportedCallbackException e) {
            return Optional.empty(); // e.g. a public-key login: no password here
        }
        char[] secret = password.getPassword();
        password.clearPassword();
        if (name.getName() == null || secret == null) {
            return Optional.empty();
        }
        return Optional.of(new PasswordCredentials(name.getName(), new String(secret)));
    }

    /** Never the password (a record's default would print it). */
    @Override
    public String toString() {
        return "PasswordCredentials[user=" + user + "]";
    }
}
