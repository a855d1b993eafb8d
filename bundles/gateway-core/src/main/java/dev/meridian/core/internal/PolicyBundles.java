package dev.meridian.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

import dev.meridian.policy.api.PolicyFactory;

/**
 * Watches the bundles that declare policy types in their Declarative Services descriptors
 * ({@code Service-Component} → {@code OSGI-INF/*.xml} with a
 * {@code <property name="meridian.policy.type" .../>}), readable before the bundle is resolved.
 * Every lifecycle event of such a bundle — installed, updated, resolved, starting, refreshed,
 * uninstalled — marks its types as on their way ({@link PendingTypes#changed}); stopping it on
 * purpose ({@code bundle:stop}, or uninstalling it while active: no longer persistently started)
 * withdraws them, and what happens to it until it is started again brings nothing back. Karaf's
 * feature deployer, FileInstall's updates, refreshes and {@code bundle:restart} stop transiently. Synchronous, so
 * a type is marked before the framework moves on; the work per event is a map lookup (the
 * descriptors are read once per bundle revision).
 */
final class PolicyBundles implements SynchronousBundleListener {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyBundles.class);
    private static final int IN_TRANSITION = Bundle.INSTALLED | Bundle.RESOLVED | Bundle.STARTING;

    /** The types a bundle revision declares. */
    private record Declared(long lastModified, Set<String> types) {
    }

    private final BundleContext context;
    private final PendingTypes pending;
    private final Map<Long, Declared> declared = new ConcurrentHashMap<>();
    /** Bundles stopped on purpose and not started since: their refreshes and uninstall bring nothing back. */
    private final Set<Long> stopped = ConcurrentHashMap.newKeySet();

    PolicyBundles(BundleContext context, PendingTypes pending) {
        this.context = context;
        this.pending = pending;
    }

    /** Starts listening; bundles already on their way (starting at boot, say) are marked now. */
    void open() {
        context.addBundleListener(this);
        for (Bundle b : context.getBundles()) {
            Set<String> types = typesOf(b);
            if (!types.isEmpty() && (b.getState() & IN_TRANSITION) != 0) {
                types.forEach(t -> pending.changed(t, b.getSymbolicName(), b.getVersion().toString()));
            }
        }
    }

    void close() {
        context.removeBundleListener(this);
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        Bundle b = event.getBundle();
        Set<String> types;
        try {
            types = switch (event.getType()) {
                case BundleEvent.UNINSTALLED -> {
                    Declared gone = declared.remove(b.getBundleId());
                    yield gone == null ? Set.of() : gone.types();
                }
                case BundleEvent.UPDATED -> {
                    // what the old revision declared is on its way too (until the new one says otherwise)
                    Declared old = declared.remove(b.getBundleId());
                    Set<String> both = new HashSet<>(typesOf(b));
                    if (old != null) {
                        both.addAll(old.types());
                    }
                    yield both;
                }
                default -> typesOf(b);
            };
        } catch (RuntimeException e) {
            LOG.warn("policy types declared by bundle {} could not be read", b.getSymbolicName(), e);
            return;
        }
        if (types.isEmpty()) {
            return;
        }
        long id = b.getBundleId();
        int kind = event.getType();
        if ((kind == BundleEvent.STOPPING || kind == BundleEvent.STOPPED) && stoppedOnPurpose(b)) {
            stopped.add(id);
            types.forEach(pending::withdrawn);
            return;
        }
        if (kind == BundleEvent.STARTING || kind == BundleEvent.STARTED) {
            stopped.remove(id);
        }
        boolean stillStopped = kind == BundleEvent.UNINSTALLED ? stopped.remove(id) : stopped.contains(id);
        if (stillStopped) {
            return; // refreshed, updated or uninstalled while stopped on purpose: nothing comes back
        }
        types.forEach(type -> pending.changed(type, b.getSymbolicName(), b.getVersion().toString()));
    }

    /**
     * A bundle stopped with {@code bundle:stop} is no longer persistently started; an update, a
     * refresh, {@code bundle:restart}, FileInstall and Karaf's feature deployer all stop transiently.
     */
    static boolean stoppedOnPurpose(Bundle bundle) {
        if (bundle == null || bundle.getState() == Bundle.UNINSTALLED) {
            return false;
        }
        try {
            BundleStartLevel level = bundle.adapt(BundleStartLevel.class);
            return level != null && !level.isPersistentlyStarted();
        } catch (RuntimeException e) {
            return false; // uninstalled meanwhile
        }
    }

    private Set<String> typesOf(Bundle b) {
        if (b.getState() == Bundle.UNINSTALLED) {
            Declared d = declared.get(b.getBundleId());
            return d == null ? Set.of() : d.types();
        }
        long modified = b.getLastModified();
        Declared d = declared.get(b.getBundleId());
        if (d == null || d.lastModified() != modified) {
            d = new Declared(modified, read(b));
            declared.put(b.getBundleId(), d);
        }
        return d.types();
    }

    /** The policy types of every component descriptor the bundle's {@code Service-Component} header names. */
    private static Set<String> read(Bundle b) {
        String header = b.getHeaders("").get("Service-Component");
        if (header == null || header.isBlank()) {
            return Set.of();
        }
        Set<String> types = new HashSet<>();
        for (String entry : header.split(",")) {
            String path = entry.split(";")[0].trim();
            for (URL url : entries(b, path)) {
                try (InputStream in = url.openStream()) {
                    types.addAll(declaredTypes(in));
                } catch (IOException | SAXException | ParserConfigurationException | RuntimeException e) {
                    LOG.debug("component descriptor {} of bundle {} unreadable: {}", path, b.getSymbolicName(), e.toString());
                }
            }
        }
        return Set.copyOf(types);
    }

    /** The entries a header path names; a {@code *} in the last segment is a wildcard. Never resolves the bundle. */
    private static List<URL> entries(Bundle b, String path) {
        int slash = path.lastIndexOf('/');
        String name = path.substring(slash + 1);
        if (!name.contains("*")) {
            URL url = b.getEntry(path);
            return url == null ? List.of() : List.of(url);
        }
        String dir = slash < 0 ? "/" : path.substring(0, slash + 1);
        Pattern glob = Pattern.compile(("\\Q" + name + "\\E").replace("*", "\\E.*\\Q"));
        Enumeration<String> paths = b.getEntryPaths(dir);
        List<URL> out = new ArrayList<>();
        for (String p : paths == null ? List.<String>of() : Collections.list(paths)) {
            String last = p.substring(p.lastIndexOf('/', p.length() - 2) + 1);
            URL url = glob.matcher(last).matches() ? b.getEntry(p) : null;
            if (url != null) {
                out.add(url);
            }
        }
        return out;
    }

    /** The values of {@code meridian.policy.type} properties in one DS component descriptor. */
    static Set<String> declaredTypes(InputStream xml) throws IOException, SAXException, ParserConfigurationException {
        // the JDK's parser, whatever the thread's context class loader would find
        DocumentBuilderFactory f = DocumentBuilderFactory.newDefaultInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setExpandEntityReferences(false);
        NodeList properties = f.newDocumentBuilder().parse(xml).getElementsByTagNameNS("*", "property");
        Set<String> types = new HashSet<>();
        for (int i = 0; i < properties.getLength(); i++) {
            Element p = (Element) properties.item(i);
            if (!PolicyFactory.TYPE_PROPERTY.equals(p.getAttribute("name"))) {
                continue;
            }
            if (p.hasAttribute("value")) {
                types.add(p.getAttribute("value").trim());
            } else {
                p.getTextContent().lines().map(String::trim).filter(l -> !l.isEmpty()).forEach(types::add);
            }
        }
        types.remove("");
        return types;
    }
}
