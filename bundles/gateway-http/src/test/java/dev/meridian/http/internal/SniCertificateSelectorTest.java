package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.meridian.http.internal.SniCertificateSelector.Candidate;

class SniCertificateSelectorTest {

    private static final List<Candidate> CANDIDATES = List.of(
        new Candidate("wild", List.of("*.example.com")),
        new Candidate("api", List.of("api.example.com", "api.example.org")),
        new Candidate("other", List.of("other.test")));

    @Test
    void should_prefer_an_exact_name_over_a_wildcard() {
        assertEquals("api", SniCertificateSelector.choose("api.example.com", CANDIDATES));
        assertEquals("api", SniCertificateSelector.choose("API.example.ORG", CANDIDATES));
        assertEquals("wild", SniCertificateSelector.choose("www.example.com", CANDIDATES));
    }

    @Test
    void should_answer_the_first_in_name_order_without_sni_or_match() {
        assertEquals("api", SniCertificateSelector.choose(null, CANDIDATES));
        assertEquals("api", SniCertificateSelector.choose("a.b.example.com", CANDIDATES));
        assertEquals("api", SniCertificateSelector.choose("example.com", CANDIDATES));
    }

    @Test
    void should_answer_the_default_pair_when_there_is_one() {
        List<Candidate> withDefault = List.of(CANDIDATES.get(0), new Candidate("default", List.of("d.test")));
        assertEquals("default", SniCertificateSelector.choose(null, withDefault));
        assertEquals("default", SniCertificateSelector.choose("nomatch.test", withDefault));
        assertEquals("wild", SniCertificateSelector.choose("x.example.com", withDefault));
    }
}
