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
 * each optional: a login succeeds when one of them accepts it. The token store reaches the login
 * module as an option (JAAS instantiates modules itself), not through static state.
 */
@Component(service = JaasRealm.class, immediate = true, property = TokenRealm.MARK + "=tokens")
public final class TokenRealm implements JaasRealm {

    static final String MARK = "meridian.realm";
    static final String REALM = "karaf";
    static final String STORE_OPTION = "meridian.tokens";

    @Reference
    private TokenStore tokens;

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
        Map<String, Object> options = new HashMap<>();
        options.put(BundleContext.class.getName(), context);
        options.put(ProxyLoginModule.PROPERTY_MODULE, TokenLoginModule.class.getName());
        options.put(ProxyLoginModule.PROPERTY_BUNDLE, Long.toString(context.getBundle().getBundleId()));
        options.put(STORE_OPTION, tokens);
        List<AppConfigurationEntry> entries = new ArrayList<>();
        entries.add(new AppConfigurationEntry(ProxyLoginModule.class.getName(), AppConfigurationEntry.LoginModuleControlFlag.OPTIONAL,
            options));
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
}
