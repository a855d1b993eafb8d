package dev.meridian.http.internal;

import java.security.Principal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SSLSession;

import org.eclipse.jetty.util.ssl.SniX509ExtendedKeyManager;
import org.eclipse.jetty.util.ssl.X509;

import dev.meridian.tls.CertifiedKey;
import dev.meridian.tls.HostNames;

/**
 * Chooses the traffic port's certificate for a handshake, among pairs that may have different key
 * types (RSA, EC P-256, Ed25519). The JDK asks once per key type the client can use, in the
 * client's order of preference, and hands over only the pairs of that type; so the choice looks
 * at every pair ({@link #use}) to answer per name, not per type:
 *
 * <ol>
 *   <li>pairs that name the SNI host exactly, else by a wildcard, whatever their type: the one of
 *       the type asked for, or none (the JDK asks again with the client's next type; a client that
 *       can use none of them fails the handshake rather than get a certificate for another name);
 *   <li>no SNI, or no pair names the host: the default pair ({@code default}, else the first in
 *       name order) when it is of the type asked for, or when the client will ask for its type
 *       later (TLS 1.3: its signature algorithms say so); else the first pair of the type asked
 *       for, so a client that can use only ECDSA, say, gets the EC pair.
 * </ol>
 *
 * Names are read from the certificates when a set is {@linkplain #use installed}, not per
 * handshake.
 */
final class SniCertificateSelector implements SniX509ExtendedKeyManager.SniSelector {

    /** A pair: its alias in the key store, its certificate's names, its key's algorithm ({@code RSA}, {@code EC}, {@code EdDSA}). */
    record Candidate(String alias, List<String> names, String keyAlgorithm) {
    }

    /** Every pair of the key store in use, in name order; swapped with it on reload. */
    private volatile List<Candidate> all = List.of();

    /** Installs the pairs of the key store that is (about to be) in use. */
    void use(Map<String, CertifiedKey> pairs) {
        List<Candidate> out = new ArrayList<>();
        pairs.forEach((name, pair) -> out.add(new Candidate(name, pair.names(), pair.leaf().getPublicKey().getAlgorithm())));
        all = List.copyOf(out);
    }

    @Override
    public String sniSelect(String keyType, Principal[] issuers, SSLSession session, String sniHost,
        Collection<X509> certificates) {
        if (certificates.isEmpty()) {
            return null; // none of this key type: the JDK asks again with the client's next key type
        }
        List<String> ofType = certificates.stream().map(X509::getAlias).toList();
        return choose(sniHost, ofType, all, clientWillAccept(session));
    }

    /**
     * The alias for {@code sniHost} (null when none was sent) among {@code ofType} (the aliases of
     * the key type the JDK asks for, not empty), knowing {@code all} pairs; null for "ask with
     * the next key type". {@code later} says whether the client will be asked with a key
     * algorithm's type later.
     */
    static String choose(String sniHost, List<String> ofType, List<Candidate> all, Predicate<String> later) {
        if (sniHost != null) {
            List<Candidate> naming = all.stream().filter(c -> HostNames.namesExactly(c.names(), sniHost)).toList();
            if (naming.isEmpty()) {
                naming = all.stream().filter(c -> HostNames.names(c.names(), sniHost)).toList();
            }
            if (!naming.isEmpty()) {
                return naming.stream().map(Candidate::alias).filter(a -> contains(ofType, a)).findFirst().orElse(null);
            }
        }
        Candidate fallback = null;
        for (Candidate c : all) {
            if (c.alias().equals("default")) {
                fallback = c;
                break;
            }
            if (fallback == null) {
                fallback = c; // all is in name order
            }
        }
        if (fallback == null || contains(ofType, fallback.alias())) {
            return fallback == null ? first(ofType) : fallback.alias();
        }
        return later.test(fallback.keyAlgorithm()) ? null : first(ofType);
    }

    private static boolean contains(List<String> aliases, String alias) {
        for (String a : aliases) {
            if (a.equalsIgnoreCase(alias)) {
                return true; // PKCS12 aliases may come back in lower case
            }
        }
        return false;
    }

    private static String first(List<String> aliases) {
        return aliases.stream().min(String::compareTo).orElse(null);
    }

    /**
     * Whether a TLS 1.3 client will be asked with the type of a key algorithm after this one: its
     * signature algorithms name one for that key. Under TLS 1.2 the cipher suites decide which
     * types are asked for, which the session does not tell: never assumed.
     */
    static Predicate<String> clientWillAccept(SSLSession session) {
        if (!(session instanceof ExtendedSSLSession s) || !"TLSv1.3".equals(s.getProtocol())) {
            return keyAlgorithm -> false;
        }
        String[] schemes = s.getPeerSupportedSignatureAlgorithms();
        return keyAlgorithm -> {
            for (String scheme : schemes) {
                if (signs(keyAlgorithm, scheme)) {
                    return true;
                }
            }
            return false;
        };
    }

    /** Whether a signature scheme as the JDK names it ({@code SHA256withECDSA}, {@code RSASSA-PSS}, {@code Ed25519}) uses that key. */
    static boolean signs(String keyAlgorithm, String scheme) {
        String s = scheme.toUpperCase(Locale.ROOT);
        return switch (keyAlgorithm.toUpperCase(Locale.ROOT)) {
            case "RSA" -> s.contains("RSA");
            case "EC" -> s.contains("ECDSA");
            case "EDDSA", "ED25519", "ED448" -> s.startsWith("ED");
            default -> false;
        };
    }
}
