package dev.meridian.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTest {

    @TempDir
    Path dir;

    @Test
    void should_read_a_pkcs8_rsa_key_and_its_certificate() throws Exception {
        OpenSsl ssl = new OpenSsl(dir);
        ssl.selfSigned("a", "rsa:2048", "a.test", "a.test", "*.a.test");
        CertifiedKey pair = CertifiedKey.of(ssl.read("a.crt"), ssl.read("a.key"));
        assertEquals("RSA", pair.key().getAlgorithm());
        assertEquals(List.of("a.test", "*.a.test"), pair.names());
    }

    @Test
    void should_read_a_pkcs1_rsa_key() throws Exception {
        OpenSsl ssl = new OpenSsl(dir);
        ssl.selfSigned("a", "rsa:2048", "a.test");
        ssl.run("rsa", "-in", "a.key", "-traditional", "-out", "a1.key");
        assertTrue(ssl.read("a1.key").contains("BEGIN RSA PRIVATE KEY"));
        CertifiedKey pair = CertifiedKey.of(ssl.read("a.crt"), ssl.read("a1.key"));
        assertEquals(List.of("a.test"), pair.names(), "the CN when there is no SAN");
    }

    @Test
    void should_read_a_sec1_ec_key_after_its_parameters_block() throws Exception {
        OpenSsl ssl = new OpenSsl(dir);
        ssl.run("ecparam", "-name", "prime256v1", "-genkey", "-out", "ec.key");
        assertTrue(ssl.read("ec.key").contains("BEGIN EC PARAMETERS"));
        assertTrue(ssl.read("ec.key").contains("BEGIN EC PRIVATE KEY"));
        ssl.run("req", "-x509", "-key", "ec.key", "-days", "2", "-subj", "/CN=ec.test", "-out", "ec.crt");
        CertifiedKey pair = CertifiedKey.of(ssl.read("ec.crt"), ssl.read("ec.key"));
        assertEquals("EC", pair.key().getAlgorithm());
    }

    @Test
    void should_read_a_chain_leaf_first() throws Exception {
        OpenSsl ssl = new OpenSsl(dir);
        ssl.selfSigned("a", "rsa:2048", "a.test");
        String chain = ssl.read("a.crt") + ssl.read("a.crt");
        assertEquals(2, Pem.certificates(chain).size());
    }

    @Test
    void should_refuse_an_encrypted_key_saying_how_to_decrypt_it() throws Exception {
        OpenSsl ssl = new OpenSsl(dir);
        ssl.selfSigned("a", "rsa:2048", "a.test");
        ssl.run("pkey", "-in", "a.key", "-aes256", "-passout", "pass:secret", "-out", "enc.key");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pem.privateKey(ssl.read("enc.key")));
        assertTrue(e.getMessage().contains("encrypted"), e.getMessage());
        ssl.run("rsa", "-in", "a.key", "-traditional", "-aes256", "-passout", "pass:secret", "-out", "enc1.key");
        e = assertThrows(IllegalArgumentException.class, () -> Pem.privateKey(ssl.read("enc1.key")));
        assertTrue(e.getMessage().contains("encrypted"), e.getMessage());
    }

    @Test
    void should_refuse_a_key_of_another_certificate() throws Exception {
        OpenSsl ssl = new OpenSsl(dir);
        ssl.selfSigned("a", "rsa:2048", "a.test");
        ssl.selfSigned("b", "rsa:2048", "b.test");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> CertifiedKey.of(ssl.read("a.crt"), ssl.read("b.key")));
        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
        ssl.run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec1.key");
        ssl.run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec2.key");
        ssl.run("req", "-x509", "-key", "ec1.key", "-days", "2", "-subj", "/CN=ec.test", "-out", "ec1.crt");
        e = assertThrows(IllegalArgumentException.class, () -> CertifiedKey.of(ssl.read("ec1.crt"), ssl.read("ec2.key")));
        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
    }

    @Test
    void should_refuse_half_written_files() throws Exception {
        OpenSsl ssl = new OpenSsl(dir);
        ssl.selfSigned("a", "rsa:2048", "a.test");
        String cert = ssl.read("a.crt");
        String key = ssl.read("a.key");
        assertThrows(IllegalArgumentException.class, () -> Pem.certificates(cert.substring(0, cert.length() / 2)));
        assertThrows(IllegalArgumentException.class, () -> Pem.privateKey(key.substring(0, key.length() / 2)));
        assertThrows(IllegalArgumentException.class, () -> Pem.privateKey(""));
        String garbled = key.replace(key.substring(100, 140), "!!!!");
        assertThrows(IllegalArgumentException.class, () -> Pem.privateKey(garbled));
    }

    @Test
    void should_write_the_admin_keystore_readable_by_its_owner_only() throws Exception {
        OpenSsl ssl = new OpenSsl(dir);
        ssl.selfSigned("a", "rsa:2048", "a.test");
        Path target = dir.resolve("data/admin.p12");
        char[] password = AdminKeystore.write(target, dir.resolve("a.crt").toString(), dir.resolve("a.key").toString());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
            java.nio.file.Files.getPosixFilePermissions(target)));
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(target)) {
            store.load(in, password);
        }
        assertTrue(store.isKeyEntry("admin"));
        assertThrows(IllegalArgumentException.class, () -> AdminKeystore.write(target, dir.resolve("a.crt").toString(), null));
        KeyStore trust = KeyStores.trustWithDefaults(Pem.certificates(ssl.read("a.crt")));
        assertTrue(trust.size() > 1);
        assertEquals(1, KeyStores.keys(Map.of("x", CertifiedKey.of(ssl.read("a.crt"), ssl.read("a.key"))), password).size());
    }
}
