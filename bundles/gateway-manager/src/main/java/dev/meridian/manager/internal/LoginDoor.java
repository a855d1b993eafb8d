package dev.meridian.manager.internal;

import java.util.Optional;

import javax.security.auth.Subject;

import org.apache.karaf.jaas.boot.principal.ClientPrincipal;

/**
 * Which door a JAAS login of realm {@code karaf} came through, and from which address (the
 * {@link LoginThrottle}'s key), read from the {@link ClientPrincipal} Karaf 4.4 puts in the subject
 * before {@code LoginContext.login()}:
 * <ul>
 * <li>ssh: {@code KarafJaasAuthenticator} adds {@code ClientPrincipal("ssh", session.getClientAddress().toString())},
 * e.g. {@code /127.0.0.2:50123};</li>
 * <li>the web console: Karaf's {@code JaasSecurityProvider} adds
 * {@code ClientPrincipal("webconsole", request.getRemoteHost() + ":" + request.getRemotePort())}, e.g.
 * {@code 127.0.0.2:50123} or, for IPv6, {@code 0:0:0:0:0:0:0:1:50123} (no brackets: the port is
 * always last, so it is cut at the last colon).</li>
 * </ul>
 * Logins with neither (the admin API's Basic, which counts itself in {@link AdminServlet}) have no door here.
 *
 * @param name how the log line names the door ({@code ssh}, {@code web console})
 * @param address the throttle's key of the client's address
 */
record LoginDoor(String name, String address) {

    static final String SSH = "ssh";
    static final String WEB_CONSOLE = "web console";

    /** The door and address of {@code subject}'s client, or empty when it names none we count. */
    static Optional<LoginDoor> of(Subject subject) {
        if (subject == null) {
            return Optional.empty();
        }
        for (ClientPrincipal p : subject.getPrincipals(ClientPrincipal.class)) {
            String raw = p.getAddress();
            if (raw == null || raw.isBlank()) {
                continue;
            }
            if ("ssh".equals(p.getMethod())) {
                return Optional.of(new LoginDoor(SSH, LoginThrottle.address(raw)));
            }
            if ("webconsole".equals(p.getMethod())) {
                return Optional.of(new LoginDoor(WEB_CONSOLE, LoginThrottle.address(withoutPort(raw))));
            }
        }
        return Optional.empty();
    }

    /** {@code host:port} without {@code :port} (digits after the last colon); anything else as it is. */
    static String withoutPort(String hostAndPort) {
        int colon = hostAndPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostAndPort.length() - 1) {
            return hostAndPort;
        }
        for (int i = colon + 1; i < hostAndPort.length(); i++) {
            if (!Character.isDigit(hostAndPort.charAt(i))) {
                return hostAndPort;
            }
        }
        return hostAndPort.substring(0, colon);
    }
}
