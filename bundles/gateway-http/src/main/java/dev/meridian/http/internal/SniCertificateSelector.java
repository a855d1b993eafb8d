package dev.meridian.http.internal;

import java.security.Principal;
import java.util.Collection;
import java.util.List;

import javax.net.ssl.SSLSession;

import org.eclipse.jetty.util.ssl.SniX509ExtendedKeyManager;
import org.eclipse.jetty.util.ssl.X509;

import dev.meridian.tls.HostNames;

/**
 * Chooses the traffic port's certificate for a handshake: one whose names match the SNI host
 * exactly, else one whose wildcard matches it, else the default pair ({@code default}, else the
 * first in name order). Without SNI, the default. Stateless: Jetty hands it the aliases of the
 * key store in use, so it is right across reloads without being told.
 */
final class SniCertificateSelector implements SniX509ExtendedKeyManager.SniSelector {

    /** An alias with its certificate's names. */
    record Candidate(String alias, List<String> names) {
    }

    @Override
    public String sniSelect(String keyType, Principal[] issuers, SSLSession session, String sniHost,
        Collection<X509> certificates) {
        if (certificates.isEmpty()) {
            return null; // none of this key type: the JDK asks again with the client's next key type
        }
        // names are read from the certificate on each handshake (a few microseconds, against a
        // handshake's milliseconds) rather than cached beside a key store that reloads
        List<Candidate> candidates = certificates.stream()
            .map(x -> new Candidate(x.getAlias(), HostNames.of(x.getCertificate())))
            .toList();
        return choose(sniHost, candidates);
    }

    /** The alias for {@code sniHost} (null when none was sent) among non-empty candidates. */
    static String choose(String sniHost, List<Candidate> candidates) {
        if (sniHost != null) {
            for (Candidate c : candidates) {
                if (HostNames.namesExactly(c.names(), sniHost)) {
                    return c.alias();
                }
            }
            for (Candidate c : candidates) {
                if (HostNames.names(c.names(), sniHost)) {
                    return c.alias();
                }
            }
        }
        String first = null;
        for (Candidate c : candidates) {
            if (c.alias().equals("default")) {
                return c.alias();
            }
            if (first == null || c.alias().compareTo(first) < 0) {
                first = c.alias();
            }
        }
        return first;
    }
}
