package dev.meridian.tls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** In-memory PKCS12 key stores and trust stores built from {@link CertifiedKey}s and certificates. */
public final class KeyStores {

    private KeyStores() {
    }

    /** A PKCS12 store with one key entry per alias, each protected by {@code password}. */
    public static KeyStore keys(Map<String, CertifiedKey> byAlias, char[] password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (Map.Entry<String, CertifiedKey> e : byAlias.entrySet()) {
                store.setKeyEntry(e.getKey(), e.getValue().key(), password,
                    e.getValue().chain().toArray(new Certificate[0]));
            }
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a PKCS12 key store", e);
        }
    }

    /**
     * A trust store holding the JDK's default trusted certificates plus {@code extra}: what the
     * JDK trusts keeps being trusted, and a private CA is added, not substituted.
     */
    public static KeyStore trustWithDefaults(List<X509Certificate> extra) {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init((KeyStore) null);
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int i = 0;
            for (TrustManager tm : factory.getTrustManagers()) {
                if (tm instanceof X509TrustManager x509) {
                    for (X509Certificate c : x509.getAcceptedIssuers()) {
                        store.setCertificateEntry("jdk-" + i++, c);
                    }
                }
            }
            for (X509Certificate c : extra) {
                store.setCertificateEntry("extra-" + i++, c);
            }
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a trust store", e);
        }
    }

    /** A random password of 24 URL-safe characters (144 bits). */
    public static char[] randomPassword() {
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random).toCharArray();
    }
}
