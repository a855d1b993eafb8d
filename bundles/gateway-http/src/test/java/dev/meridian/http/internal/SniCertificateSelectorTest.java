package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.meridian.http.internal.SniCertificateSelector.Candidate;

class SniCertificateSelectorTest {

    private static final List<Candidate> CANDIDATES = List.of(
        new Candidate("api", List.of("api.example.com", "api.example.org"), "RSA"),
        new Candidate("other", List.of("other.test"), "RSA"),
        new Candidate("wild", List.of("*.example.com"), "RSA"));
    private static final List<String> RSA = List.of("api", "other", "wild");
    private static final Predicate<String> NOTHING_LATER = k -> false;

    @Test
    void should_prefer_an_exact_name_over_a_wildcard() {
        assertEquals("api", SniCertificateSelector.choose("api.example.com", RSA, CANDIDATES, NOTHING_LATER));
        assertEquals("api", SniCertificateSelector.choose("API.example.ORG", RSA, CANDIDATES, NOTHING_LATER));
        assertEquals("wild", SniCertificateSelector.choose("www.example.com", RSA, CANDIDATES, NOTHING_LATER));
    }

    @Test
    void should_answer_the_first_in_name_order_without_sni_or_match() {
        assertEquals("api", SniCertificateSelector.choose(null, RSA, CANDIDATES, NOTHING_LATER));
        assertEquals("api", SniCertificateSelector.choose("a.b.example.com", RSA, CANDIDATES, NOTHING_LATER));
        assertEquals("api", SniCertificateSelector.choose("example.com", RSA, CANDIDATES, NOTHING_LATER));
    }

    @Test
    void should_answer_the_default_pair_when_there_is_one() {
        List<Candidate> withDefault = List.of(new Candidate("default", List.of("d.test"), "RSA"), CANDIDATES.get(2));
        List<String> aliases = List.of("default", "wild");
        assertEquals("default", SniCertificateSelector.choose(null, aliases, withDefault, NOTHING_LATER));
        assertEquals("default", SniCertificateSelector.choose("nomatch.test", aliases, withDefault, NOTHING_LATER));
        assertEquals("wild", SniCertificateSelector.choose("x.example.com", aliases, withDefault, NOTHING_LATER));
    }

    /** alpha RSA (the default: first in name order), gamma EC, delta Ed25519, both-ec/both-rsa one name in two types. */
    private static final List<Candidate> MIXED = List.of(
        new Candidate("alpha", List.of("alpha.test"), "RSA"),
        new Candidate("both-ec", List.of("both.test"), "EC"),
        new Candidate("both-rsa", List.of("both.test"), "RSA"),
        new Candidate("delta", List.of("delta.test"), "EdDSA"),
        new Candidate("gamma", List.of("gamma.test"), "EC"));
    private static final List<String> EC = List.of("both-ec", "gamma");
    private static final List<String> RSA_MIXED = List.of("alpha", "both-rsa");
    private static final List<String> ED = List.of("delta");

    @Test
    void should_choose_by_name_across_key_types_and_ask_again_for_a_name_of_another_type() {
        assertNull(SniCertificateSelector.choose("alpha.test", EC, MIXED, NOTHING_LATER), "alpha is RSA: ask with the next type");
        assertEquals("alpha", SniCertificateSelector.choose("alpha.test", RSA_MIXED, MIXED, NOTHING_LATER));
        assertEquals("gamma", SniCertificateSelector.choose("gamma.test", EC, MIXED, NOTHING_LATER));
        assertNull(SniCertificateSelector.choose("gamma.test", RSA_MIXED, MIXED, NOTHING_LATER));
        assertEquals("delta", SniCertificateSelector.choose("delta.test", ED, MIXED, NOTHING_LATER));
        assertEquals("both-ec", SniCertificateSelector.choose("both.test", EC, MIXED, NOTHING_LATER));
        assertEquals("both-rsa", SniCertificateSelector.choose("both.test", RSA_MIXED, MIXED, NOTHING_LATER));
    }

    @Test
    void should_give_the_default_to_a_client_that_takes_its_type_and_a_pair_of_its_own_type_to_one_that_does_not() {
        Predicate<String> takesRsaLater = k -> k.equals("RSA");
        assertNull(SniCertificateSelector.choose(null, EC, MIXED, takesRsaLater), "the default (RSA) comes when asked for RSA");
        assertEquals("alpha", SniCertificateSelector.choose(null, RSA_MIXED, MIXED, takesRsaLater));
        assertNull(SniCertificateSelector.choose("unknown.test", EC, MIXED, takesRsaLater));
        assertEquals("both-ec", SniCertificateSelector.choose(null, EC, MIXED, NOTHING_LATER), "an EC-only client: first EC pair");
        assertEquals("delta", SniCertificateSelector.choose("unknown.test", ED, MIXED, NOTHING_LATER));
    }

    @ParameterizedTest(name = "{0} key, scheme {1}: {2}")
    @CsvSource({"RSA,RSASSA-PSS,true", "RSA,SHA256withRSA,true", "EC,SHA256withECDSA,true", "EC,SHA256withRSA,false",
        "EdDSA,Ed25519,true", "EdDSA,SHA256withECDSA,false"})
    void should_read_the_jdk_signature_scheme_names_per_key_algorithm(String key, String scheme, boolean signs) {
        assertEquals(signs, SniCertificateSelector.signs(key, scheme));
    }
}
