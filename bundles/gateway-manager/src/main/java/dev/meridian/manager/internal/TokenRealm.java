package dev.meridian.manager.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.security.auth.login.AppConfigurationEntry;

import org.apache.karaf.jaas.boot.ProxyLoginModule;
import org.apache.karaf.jaas.config.JaasRealm;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.FieldOption;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Karaf's realm {@code karaf} with Meridian's tokens in it, so ssh (and the web console, and Basic
 * on the admin API) accept a token as the password of its name (CONTRACT §9). Karaf uses the realm
 * of that name with the highest rank and nothing else, so this one (rank 1) is Karaf's own
 * (rank 0: users.properties, public keys, the login audits) with {@link TokenLoginModule} in front,
 * each optional: a login succeeds when one of them accepts it. In front of all of them,
 * {@link ThrottleLoginModule} ({@code REQUISITE}) refuses at once an ssh or web console password
 * login from an address the node's {@link LoginThrottle} slows, and counts the others' outcome. The token store
 * and the throttle reach the login modules as options (JAAS instantiates modules itself), not
 * through static state.
 */
@Component(service = JaasRealm.class, immediate = true, property = TokenRealm.MARK + "=tokens")
public final class TokenRealm implements JaasRealm {

    static final String MARK = "meridian.realm";
    static final String REALM = "karaf";
    static final String STORE_OPTION = "meridian.tokens";
    static final String THROTTLE_OPTION = "meridian.throttle";

    @Reference
    private TokenStore tokens;

    /** The node's one throttle, the admin API's too. */
    @Reference
    private LoginThrottle throttle;

    /** Every other realm (Karaf's own {@code karaf} among them); ours is told apart by its property. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, fieldOption = FieldOption.UPDATE,
        target = "(!(" + MARK + "=*))")
    private final List<JaasRealm> others = new CopyOnWriteArrayList<>();

    private BundleContext context;

    @Activate
    void activate(BundleContext bundleContext) {
        this.context = bundleContext;
    }

    @Override
    public String getName() {
        return REALM;
    }

    @Override
    public int getRank() {
        return 1;
    }

    @Override
    public AppConfigurationEntry[] getEntries() {
        List<AppConfigurationEntry> entries = new ArrayList<>();
        // REQUISITE: its throw (a slowed address) ends the login before any password is checked;
        // otherwise it answers false, which JAAS ignores, so it never makes a login succeed
        entries.add(ours(ThrottleLoginModule.class, AppConfigurationEntry.LoginModuleControlFlag.REQUISITE, THROTTLE_OPTION, throttle));
        entries.add(ours(TokenLoginModule.class, AppConfigurationEntry.LoginModuleControlFlag.OPTIONAL, STORE_OPTION, tokens));
        JaasRealm karaf = null;
        for (JaasRealm r : others) {
            if (REALM.equals(r.getName()) && (karaf == null || r.getRank() > karaf.getRank())) {
                karaf = r;
            }
        }
        if (karaf != null) {
            entries.addAll(List.of(karaf.getEntries()));
        }
        return entries.toArray(new AppConfigurationEntry[0]);
    }

    /** An entry for a login module of this bundle, loaded by Karaf's proxy, given {@code part} as option {@code key}. */
    private AppConfigurationEntry ours(Class<?> module, AppConfigurationEntry.LoginModuleControlFlag flag, String key, Object part) {
        Map<String, Object> options = new HashMap<>();
        options.put(BundleContext.class.getName(), context);
        options.put(ProxyLoginModule.PROPERTY_MODULE, module.getName());
        options.put(ProxyLoginModule.PROPERTY_BUNDLE, Long.toString(context.getBundle().getBundleId()));
        options.put(key, part);
        return new AppConfigurationEntry(ProxyLoginModule.class.getName(), flag, options);
    }
}
