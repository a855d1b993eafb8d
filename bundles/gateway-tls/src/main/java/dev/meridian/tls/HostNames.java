package dev.meridian.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The host names a certificate serves, and whether a requested host matches one. Names are the
 * certificate's DNS subject alternative names; only when it has none, its subject's CN (RFC 6125
 * §6.4.4). A wildcard {@code *.example.com} matches exactly one more label on the left
 * ({@code a.example.com}, not {@code example.com} nor {@code a.b.example.com}). Case-insensitive;
 * a trailing dot on the requested host is ignored.
 */
public final class HostNames {

    private static final int DNS_NAME = 2;

    private HostNames() {
    }

    /** The certificate's names in lower case: SAN DNS names, else the subject CN, else none. */
    public static List<String> of(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> entry : alternatives) {
                    if (entry.size() >= 2 && entry.get(0) instanceof Integer type && type == DNS_NAME) {
                        names.add(entry.get(1).toString().toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            throw new IllegalArgumentException("the certificate's subject alternative names do not parse", e);
        }
        if (names.isEmpty()) {
            try {
                for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        names.add(rdn.getValue().toString().toLowerCase(Locale.ROOT));
                    }
                }
            } catch (InvalidNameException e) {
                throw new IllegalArgumentException("the certificate's subject does not parse", e);
            }
        }
        return List.copyOf(names);
    }

    /** Whether {@code host} (as sent in SNI) is served by the certificate name {@code pattern}. */
    public static boolean matches(String pattern, String host) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (pattern.startsWith("*.")) {
            int dot = h.indexOf('.');
            return dot > 0 && h.regionMatches(true, dot + 1, pattern, 2, pattern.length() - 2)
                && h.length() - dot - 1 == pattern.length() - 2;
        }
        return pattern.equalsIgnoreCase(h);
    }

    /** Whether any of the names matches {@code host} exactly (no wildcard). */
    public static boolean namesExactly(List<String> names, String host) {
        for (String n : names) {
            if (!n.startsWith("*.") && matches(n, host)) {
                return true;
            }
        }
        return false;
    }

    /** Whether any of the names matches {@code host}, wildcards included. */
    public static boolean names(List<String> names, String host) {
        for (String n : names) {
            if (matches(n, host)) {
                return true;
            }
        }
        return false;
    }
}
