package dev.meridian.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAKey;
import java.util.List;
import java.util.Objects;

/**
 * A certificate chain (leaf first) with the private key of its leaf, checked to belong
 * together, and the host names the leaf serves.
 *
 * @param chain the leaf, then any intermediates, as the PEM listed them
 * @param key the leaf's private key
 * @param names {@link HostNames#of the leaf's names}
 */
public record CertifiedKey(List<X509Certificate> chain, PrivateKey key, List<String> names) {

    public CertifiedKey {
        chain = List.copyOf(chain);
        Objects.requireNonNull(key, "key");
        names = List.copyOf(names);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("no certificate");
        }
    }

    /** Reads a pair of PEM texts; refuses a key that is not the leaf certificate's. */
    public static CertifiedKey of(String certificatePem, String keyPem) {
        List<X509Certificate> chain = Pem.certificates(certificatePem);
        PrivateKey key = Pem.privateKey(keyPem);
        requireMatch(chain.get(0), key);
        return new CertifiedKey(chain, key, HostNames.of(chain.get(0)));
    }

    /** The leaf certificate. */
    public X509Certificate leaf() {
        return chain.get(0);
    }

    /**
     * Fails unless {@code key} is the private half of the certificate's public key: RSA by its
     * modulus, anything else by signing a few bytes and verifying them with the certificate.
     */
    static void requireMatch(X509Certificate certificate, PrivateKey key) {
        PublicKey pub = certificate.getPublicKey();
        if (!pub.getAlgorithm().equals(key.getAlgorithm())) {
            throw new IllegalArgumentException("the key is " + key.getAlgorithm() + " but the certificate's is "
                + pub.getAlgorithm());
        }
        if (pub instanceof RSAKey rsaPub && key instanceof RSAKey rsaKey) {
            if (!rsaPub.getModulus().equals(rsaKey.getModulus())) {
                throw new IllegalArgumentException("the key does not match the certificate (RSA modulus differs)");
            }
            return;
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            default -> throw new IllegalArgumentException("unsupported key algorithm " + key.getAlgorithm());
        };
        try {
            byte[] probe = "meridian key check".getBytes(StandardCharsets.US_ASCII);
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(probe);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance(algorithm);
            verify.initVerify(pub);
            verify.update(probe);
            if (!verify.verify(signature)) {
                throw new IllegalArgumentException("the key does not match the certificate");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the key does not match the certificate: " + e.getMessage(), e);
        }
    }
}
