package dev.meridian.shell;

import java.lang.reflect.Method;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.util.tracker.ServiceTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns off TCP port forwarding on Karaf's ssh server (CONTRACT §9). Karaf 4.4 builds its server
 * with Apache sshd's {@code AcceptAllForwardingFilter} and offers no setting for it, so any ssh
 * login, a viewer token's too, could open {@code direct-tcpip} channels from the node to any
 * address (the cluster port on loopback, which authenticates nobody; other hosts of the private
 * network) or listen on the node's ports ({@code tcpip-forward}). Nothing of Meridian uses it.
 *
 * <p>How: Karaf registers its {@code org.apache.sshd.server.SshServer} as a service before starting
 * it (and a new one when its configuration changes); each one tracked here gets no forwarding
 * filter, which sshd reads at every channel open and global request and takes as "refuse" when
 * absent ({@code TcpipServerChannel}, {@code DefaultForwarder}). The call is reflective because
 * Karaf's ssh bundle does not export {@code org.apache.sshd.server.forward}, the filter's package;
 * tracking by class name keeps this bundle free of any sshd import.
 */
@Component(immediate = true)
public final class SshForwardingOff {

    private static final Logger LOG = LoggerFactory.getLogger(SshForwardingOff.class);
    static final String SSH_SERVER = "org.apache.sshd.server.SshServer";

    private ServiceTracker<Object, Object> tracker;

    @Activate
    void activate(BundleContext context) {
        tracker = new ServiceTracker<>(context, SSH_SERVER, null) {
            @Override
            public Object addingService(ServiceReference<Object> reference) {
                Object server = super.addingService(reference);
                if (server != null) {
                    turnOff(server);
                }
                return server;
            }
        };
        tracker.open(true);
    }

    @Deactivate
    void deactivate() {
        tracker.close();
    }

    /** Removes {@code server}'s forwarding filter: every forwarding request is refused from then on. */
    static void turnOff(Object server) {
        for (Method m : server.getClass().getMethods()) {
            if (m.getName().equals("setForwardingFilter") && m.getParameterCount() == 1) {
                try {
                    m.invoke(server, new Object[] {null});
                    LOG.info("ssh port forwarding turned off (direct-tcpip and tcpip-forward refused)");
                } catch (ReflectiveOperationException e) {
                    LOG.error("turning ssh port forwarding off failed", e);
                }
                return;
            }
        }
        LOG.error("turning ssh port forwarding off failed: {} has no setForwardingFilter", server.getClass().getName());
    }
}
