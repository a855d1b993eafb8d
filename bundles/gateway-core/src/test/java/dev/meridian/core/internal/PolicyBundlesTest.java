package dev.meridian.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.Version;
import org.osgi.framework.startlevel.BundleStartLevel;

import dev.meridian.core.GatewayEngine.TypeStatus;

class PolicyBundlesTest {

    /** What bnd writes for a factory annotated with {@code @Component(property = "meridian.policy.type=set-headers")}. */
    private static final String BND_DESCRIPTOR = """
        <?xml version="1.0" encoding="UTF-8"?>
        <scr:component xmlns:scr="http://www.osgi.org/xmlns/scr/v1.3.0" name="dev.meridian.policy.setheaders.SetHeadersFactory">
          <property name="meridian.policy.type" type="String" value="set-headers"/>
          <service>
            <provide interface="dev.meridian.policy.api.PolicyFactory"/>
          </service>
          <implementation class="dev.meridian.policy.setheaders.SetHeadersFactory"/>
        </scr:component>
        """;

    @TempDir
    Path dir;

    private final Set<String> provided = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final PendingTypes pending = new PendingTypes(provided::contains, Duration.ofSeconds(30), System::nanoTime, timer);

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    @Test
    void should_read_the_policy_type_of_a_bnd_component_descriptor() throws Exception {
        assertEquals(Set.of("set-headers"), PolicyBundles.declaredTypes(xml(BND_DESCRIPTOR)));
    }

    @Test
    void should_read_multi_valued_types_and_ignore_other_properties() throws Exception {
        String descriptor = """
            <component xmlns="http://www.osgi.org/xmlns/scr/v1.4.0" name="x">
              <property name="service.ranking" type="Integer" value="5"/>
              <property name="meridian.policy.type" type="String">
                json-to-xml
                xml-to-json
              </property>
              <implementation class="x.X"/>
            </component>
            """;

        assertEquals(Set.of("json-to-xml", "xml-to-json"), PolicyBundles.declaredTypes(xml(descriptor)));
    }

    @Test
    void should_refuse_a_descriptor_with_a_doctype() {
        String hostile = "<?xml version=\"1.0\"?><!DOCTYPE c [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><c><property name=\"meridian.policy.type\" value=\"&x;\"/></c>";

        org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> PolicyBundles.declaredTypes(xml(hostile)));
    }

    @Test
    void should_mark_declared_types_pending_while_their_bundle_is_updated() throws Exception {
        PolicyBundles bundles = new PolicyBundles(context(), pending);
        Bundle b = bundle(7, Bundle.RESOLVED, true, "OSGI-INF/*.xml");

        bundles.bundleChanged(new BundleEvent(BundleEvent.UPDATED, b));

        assertEquals(TypeStatus.PENDING, pending.status("set-headers"));
        assertEquals("dev.meridian.policy.set-headers", pending.plugins().get(0).bundle());
    }

    @Test
    void should_withdraw_declared_types_when_their_bundle_is_stopped_on_purpose() throws Exception {
        PolicyBundles bundles = new PolicyBundles(context(), pending);
        pending.changed("set-headers", "dev.meridian.policy.set-headers", "1.0.0");
        Bundle b = bundle(7, Bundle.RESOLVED, false, "OSGI-INF/dev.meridian.policy.setheaders.SetHeadersFactory.xml");

        bundles.bundleChanged(new BundleEvent(BundleEvent.STOPPED, b));

        assertEquals(TypeStatus.ABSENT, pending.status("set-headers"));
    }

    @Test
    void should_keep_types_absent_when_a_bundle_stopped_on_purpose_is_refreshed_or_uninstalled() throws Exception {
        PolicyBundles bundles = new PolicyBundles(context(), pending);
        Bundle b = bundle(7, Bundle.RESOLVED, false, "OSGI-INF/dev.meridian.policy.setheaders.SetHeadersFactory.xml");
        bundles.bundleChanged(new BundleEvent(BundleEvent.STOPPED, b));

        bundles.bundleChanged(new BundleEvent(BundleEvent.UNRESOLVED, b));
        bundles.bundleChanged(new BundleEvent(BundleEvent.RESOLVED, b));
        bundles.bundleChanged(new BundleEvent(BundleEvent.UNINSTALLED, b));

        assertEquals(TypeStatus.ABSENT, pending.status("set-headers"));
    }

    @Test
    void should_mark_types_pending_again_when_a_bundle_stopped_on_purpose_starts() throws Exception {
        PolicyBundles bundles = new PolicyBundles(context(), pending);
        bundles.bundleChanged(new BundleEvent(BundleEvent.STOPPED,
            bundle(7, Bundle.RESOLVED, false, "OSGI-INF/dev.meridian.policy.setheaders.SetHeadersFactory.xml")));

        bundles.bundleChanged(new BundleEvent(BundleEvent.STARTING,
            bundle(7, Bundle.STARTING, true, "OSGI-INF/dev.meridian.policy.setheaders.SetHeadersFactory.xml")));

        assertEquals(TypeStatus.PENDING, pending.status("set-headers"));
    }

    @Test
    void should_keep_types_pending_when_their_bundle_is_stopped_transiently() throws Exception {
        PolicyBundles bundles = new PolicyBundles(context(), pending);
        Bundle b = bundle(7, Bundle.RESOLVED, true, "OSGI-INF/dev.meridian.policy.setheaders.SetHeadersFactory.xml");

        bundles.bundleChanged(new BundleEvent(BundleEvent.STOPPED, b));

        assertEquals(TypeStatus.PENDING, pending.status("set-headers"));
    }

    @Test
    void should_ignore_bundles_that_declare_no_policy_type() throws Exception {
        PolicyBundles bundles = new PolicyBundles(context(), pending);
        Bundle b = bundle(8, Bundle.INSTALLED, true, null);

        bundles.bundleChanged(new BundleEvent(BundleEvent.INSTALLED, b));

        assertEquals(List.of(), pending.plugins());
    }

    @Test
    void should_tell_a_persistent_stop_from_a_transient_one() throws Exception {
        assertTrue(PolicyBundles.stoppedOnPurpose(bundle(1, Bundle.STOPPING, false, null)));
        assertFalse(PolicyBundles.stoppedOnPurpose(bundle(1, Bundle.STOPPING, true, null)));
        assertFalse(PolicyBundles.stoppedOnPurpose(null));
    }

    private static ByteArrayInputStream xml(String text) {
        return new ByteArrayInputStream(text.strip().getBytes(StandardCharsets.UTF_8));
    }

    private static BundleContext context() {
        return (BundleContext) Proxy.newProxyInstance(PolicyBundlesTest.class.getClassLoader(), new Class<?>[] {BundleContext.class},
            (proxy, method, args) -> {
                throw new UnsupportedOperationException(method.getName());
            });
    }

    /** A set-headers bundle whose descriptor is a file; {@code header} null: no Service-Component header. */
    private Bundle bundle(long id, int state, boolean persistentlyStarted, String header) throws IOException {
        Path descriptor = dir.resolve("SetHeadersFactory-" + id + ".xml");
        Files.writeString(descriptor, BND_DESCRIPTOR.strip());
        URL url = descriptor.toUri().toURL();
        BundleStartLevel level = (BundleStartLevel) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {BundleStartLevel.class}, (proxy, method, args) -> switch (method.getName()) {
                case "isPersistentlyStarted" -> persistentlyStarted;
                default -> throw new UnsupportedOperationException(method.getName());
            });
        return (Bundle) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Bundle.class},
            (proxy, method, args) -> switch (method.getName()) {
                case "getBundleId" -> id;
                case "getState" -> state;
                case "getSymbolicName" -> "dev.meridian.policy.set-headers";
                case "getVersion" -> new Version(1, 0, 0);
                case "getLastModified" -> 42L;
                case "getHeaders" -> {
                    Hashtable<String, String> h = new Hashtable<>();
                    if (header != null) {
                        h.put("Service-Component", header);
                    }
                    yield h;
                }
                case "getEntry" -> ((String) args[0]).endsWith(".xml") ? url : null;
                case "getEntryPaths" -> Collections.enumeration(List.of("OSGI-INF/dev.meridian.policy.setheaders.SetHeadersFactory.xml",
                    "OSGI-INF/metatype/"));
                case "adapt" -> args[0] == BundleStartLevel.class ? level : null;
                case "hashCode" -> (int) id;
                case "equals" -> proxy == args[0];
                case "toString" -> "bundle " + id;
                default -> throw new UnsupportedOperationException(method.getName());
            });
    }
}
