package dev.meridian.manager.internal;

import java.security.Principal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.security.auth.Subject;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.login.LoginException;
import javax.security.auth.spi.LoginModule;

import org.apache.karaf.jaas.boot.principal.RolePrincipal;
import org.apache.karaf.jaas.boot.principal.UserPrincipal;

/**
 * A JAAS login module that accepts a token's name as user and the token as password, and gives
 * the subject the Karaf roles of the token's role ({@link Role#karafRoles}). Anything else is not
 * its business: it answers {@code false} and the realm's other modules decide.
 */
public final class TokenLoginModule implements LoginModule {

    private Subject subject;
    private CallbackHandler handler;
    private TokenStore tokens;
    private final List<Principal> principals = new ArrayList<>();

    @Override
    public void initialize(Subject subject, CallbackHandler callbackHandler, Map<String, ?> sharedState, Map<String, ?> options) {
        this.subject = subject;
        this.handler = callbackHandler;
        this.tokens = (TokenStore) options.get(TokenRealm.STORE_OPTION);
    }

    @Override
    public boolean login() throws LoginException {
        principals.clear();
        if (tokens == null) {
            return false;
        }
        Optional<PasswordCredentials> given = PasswordCredentials.ask(handler);
        if (given.isEmpty()) {
            return false;
        }
        Optional<Token> token = tokens.verify(given.get().user(), given.get().password());
        if (token.isEmpty()) {
            return false;
        }
        principals.add(new UserPrincipal(token.get().name()));
        for (String role : token.get().role().karafRoles()) {
            principals.add(new RolePrincipal(role));
        }
        return true;
    }

    @Override
    public boolean commit() {
        if (principals.isEmpty()) {
            return false;
        }
        subject.getPrincipals().addAll(principals);
        return true;
    }

    @Override
    public boolean abort() {
        principals.clear();
        return true;
    }

    @Override
    public boolean logout() {
        subject.getPrincipals().removeAll(principals);
        principals.clear();
        return true;
    }
}
