/**
 * TLS material with the JDK alone: PEM certificates and private keys ({@link Pem}), the host
 * names a certificate serves and how a host matches them ({@link HostNames}), a certificate
 * chain with its checked key ({@link CertifiedKey}) and key or trust stores built from them
 * ({@link KeyStores}). No OSGi, no third-party library: {@link AdminKeystore} runs from this jar
 * before Karaf starts.
 */
@Export
@Version("1.0.0")
package dev.meridian.tls;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
