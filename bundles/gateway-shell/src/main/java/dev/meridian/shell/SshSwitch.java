package dev.meridian.shell;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code MERIDIAN_SSH_PORT=0} turns Karaf's ssh shell off (CONTRACT §2). {@code bin/karaf}
 * always passes {@code -Dkaraf.startRemoteShell=true} last on the command line, so the switch
 * is made here: the ssh bundle is stopped transiently (a restart with another port brings it back).
 */
@Component(immediate = true)
public final class SshSwitch {

    private static final Logger LOG = LoggerFactory.getLogger(SshSwitch.class);
    static final String SSH_BUNDLE = "org.apache.karaf.shell.ssh";

    /** {@code MERIDIAN_SSH_PORT}, else the system property {@code meridian.ssh.port} (as every {@code MERIDIAN_*} setting). */
    static String sshPort() {
        String v = System.getenv("MERIDIAN_SSH_PORT");
        if (v == null || v.isBlank()) {
            v = System.getProperty("meridian.ssh.port");
        }
        return v == null || v.isBlank() ? "8101" : v.trim();
    }

    @Activate
    void activate(BundleContext context) {
        if (!"0".equals(sshPort())) {
            return;
        }
        for (Bundle b : context.getBundles()) {
            if (SSH_BUNDLE.equals(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE) {
                try {
                    b.stop(Bundle.STOP_TRANSIENT);
                    LOG.info("ssh shell turned off (MERIDIAN_SSH_PORT=0)");
                } catch (BundleException e) {
                    LOG.error("turning the ssh shell off failed", e);
                }
            }
        }
    }
}
