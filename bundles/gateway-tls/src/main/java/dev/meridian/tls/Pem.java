package dev.meridian.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM text with the JDK alone: certificates ({@code BEGIN CERTIFICATE}, a chain in file
 * order) and unencrypted private keys as PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 RSA
 * ({@code BEGIN RSA PRIVATE KEY}) or SEC1 EC ({@code BEGIN EC PRIVATE KEY}, the form
 * {@code openssl ecparam -genkey} writes). PKCS#1 and SEC1 keys are wrapped into PKCS#8 here (a
 * few bytes of DER), which spares the data plane BouncyCastle. Encrypted keys are refused with
 * a message saying how to decrypt them: a node starting unattended has nobody to ask for a
 * passphrase. Every failure is an {@link IllegalArgumentException} whose message says what is
 * wrong, never the key's bytes.
 */
public final class Pem {

    private static final Pattern BLOCK = Pattern.compile(
        "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
    private static final String[] KEY_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"};
    /** AlgorithmIdentifier of rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters. */
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
        (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    /** OID id-ecPublicKey (1.2.840.10045.2.1), as a whole TLV. */
    private static final byte[] EC_PUBLIC_KEY = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    private Pem() {
    }

    /** PEM text as given, or the content of the file it names when it holds no PEM block marker. */
    public static String textOrFile(String value) {
        if (value.contains("-----BEGIN ")) {
            return value;
        }
        try {
            return Files.readString(Path.of(value.trim()), StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot read PEM file " + value.trim() + ": " + e, e);
        }
    }

    /** Every certificate of the text, in order (leaf first for a chain); at least one. */
    public static List<X509Certificate> certificates(String pem) {
        List<X509Certificate> out = new ArrayList<>();
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
        }
        Matcher m = BLOCK.matcher(pem);
        while (m.find()) {
            if (!m.group(1).equals("CERTIFICATE")) {
                continue;
            }
            try {
                out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(decode(m.group(2)))));
            } catch (CertificateException e) {
                throw new IllegalArgumentException("certificate " + (out.size() + 1) + " does not parse: " + e.getMessage(), e);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no complete BEGIN/END CERTIFICATE block");
        }
        return List.copyOf(out);
    }

    /** The one private key of the text (other blocks, such as {@code EC PARAMETERS}, are skipped). */
    public static PrivateKey privateKey(String pem) {
        Matcher m = BLOCK.matcher(pem);
        while (m.find()) {
            String label = m.group(1);
            String body = m.group(2);
            switch (label) {
                case "PRIVATE KEY":
                    return pkcs8(decode(body));
                case "RSA PRIVATE KEY":
                    refuseEncrypted(body);
                    return pkcs8(sequence(concat(new byte[] {0x02, 0x01, 0x00}, RSA_ALGORITHM, tlv(0x04, decode(body)))));
                case "EC PRIVATE KEY":
                    refuseEncrypted(body);
                    return pkcs8(fromSec1(decode(body)));
                case "ENCRYPTED PRIVATE KEY":
                    throw encrypted();
                default:
                    break;
            }
        }
        throw new IllegalArgumentException(
            "no complete private key block (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
    }

    private static PrivateKey pkcs8(byte[] der) {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException | RuntimeException tryNext) {
                // not this algorithm: the next one is tried, and the failure is reported below
            }
        }
        throw new IllegalArgumentException("the private key does not parse as RSA, EC, Ed25519, Ed448 or RSASSA-PSS");
    }

    /** SEC1 ECPrivateKey → PKCS#8, taking the curve from its [0] parameters. */
    private static byte[] fromSec1(byte[] sec1) {
        Der outer = new Der(sec1, 0);
        if (outer.tag != 0x30) {
            throw new IllegalArgumentException("the EC private key is not a DER sequence");
        }
        int at = outer.start;
        byte[] curve = null;
        while (at < outer.end) {
            Der item = new Der(sec1, at);
            if ((item.tag & 0xff) == 0xa0) {
                Der oid = new Der(sec1, item.start);
                curve = java.util.Arrays.copyOfRange(sec1, item.start, oid.end);
            }
            at = item.end;
        }
        if (curve == null) {
            throw new IllegalArgumentException("the EC private key names no curve (write it with its parameters)");
        }
        return sequence(concat(new byte[] {0x02, 0x01, 0x00}, sequence(concat(EC_PUBLIC_KEY, curve)), tlv(0x04, sec1)));
    }

    private static void refuseEncrypted(String body) {
        if (body.contains("Proc-Type:") && body.contains("ENCRYPTED")) {
            throw encrypted();
        }
    }

    private static IllegalArgumentException encrypted() {
        return new IllegalArgumentException("the private key is encrypted: give it unencrypted "
            + "(openssl pkey -in key.pem -out plain.pem) in a file only the gateway's user can read");
    }

    private static byte[] decode(String body) {
        StringBuilder b64 = new StringBuilder(body.length());
        for (String line : body.split("\r?\n")) {
            if (!line.contains(":")) { // RFC 1421 headers (Proc-Type, DEK-Info) are not base64
                b64.append(line.trim());
            }
        }
        try {
            return Base64.getDecoder().decode(b64.toString());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a PEM block is not valid base64 (cut short?)", e);
        }
    }

    private static byte[] sequence(byte[] content) {
        return tlv(0x30, content);
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(n >>> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** One DER element at an offset: its tag, where its content starts and where it ends. */
    private static final class Der {
        final int tag;
        final int start;
        final int end;

        Der(byte[] b, int at) {
            if (at + 2 > b.length) {
                throw new IllegalArgumentException("the key's DER is cut short");
            }
            tag = b[at] & 0xff;
            int len = b[at + 1] & 0xff;
            int pos = at + 2;
            if (len >= 0x80) {
                int bytes = len & 0x7f;
                if (bytes == 0 || bytes > 4 || pos + bytes > b.length) {
                    throw new IllegalArgumentException("the key's DER has a bad length");
                }
                len = 0;
                for (int i = 0; i < bytes; i++) {
                    len = (len << 8) | (b[pos++] & 0xff);
                }
            }
            if (len < 0 || pos + len > b.length) {
                throw new IllegalArgumentException("the key's DER is cut short");
            }
            start = pos;
            end = pos + len;
        }
    }
}
