package dev.meridian.policy.jwt;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the keys of an issuer come from: a JWKS URL, or an issuer URL whose OIDC discovery
 * document names the JWKS. It names the shared document and the refetch lease in
 * {@code jwt.jwks}, so every node and every policy entry with the same source share one
 * fetch (and one lease) cluster-wide.
 *
 * @param url the JWKS URL, or the issuer URL when {@code discovery}
 * @param discovery whether {@code url} is an issuer whose discovery document names the JWKS
 * @param ca PEM certificates trusted for this source's TLS instead of the JVM's defaults
 */
record KeySourceId(URI url, boolean discovery, Optional<String> ca) {

    KeySourceId {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(ca, "ca");
    }

    static KeySourceId jwks(URI url, Optional<String> ca) {
        return new KeySourceId(url, false, ca);
    }

    static KeySourceId discovery(URI issuer, Optional<String> ca) {
        return new KeySourceId(issuer, true, ca);
    }

    /** The key of the shared document: {@code jwks:<url>} or {@code oidc:<issuer>}. */
    String documentKey() {
        return (discovery ? "oidc:" : "jwks:") + url;
    }

    /** The key of the refetch lease: whoever sets it may fetch; it expires by itself. */
    String leaseKey() {
        return "lease:" + documentKey();
    }

    /** {@code <issuer>/.well-known/openid-configuration} (OpenID Connect Discovery 1.0 §4). */
    URI discoveryUrl() {
        String base = url.toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/.well-known/openid-configuration");
    }

    @Override
    public String toString() {
        return documentKey();
    }
}
