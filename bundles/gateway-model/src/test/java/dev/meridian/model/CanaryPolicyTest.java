package dev.meridian.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The canary parameters of CONTRACT §8: defaults, the forms accepted, each refusal naming its parameter, a round trip. */
class CanaryPolicyTest {

    @Test
    void should_take_the_defaults_when_only_the_share_is_given() throws Exception {
        CanaryPolicy p = CanaryPolicy.parse(Map.of("canary", "5%"));

        assertEquals(500, p.basisPoints());
        assertEquals(Split.StickyBy.IP, p.stickyBy());
        assertEquals(Duration.ofMinutes(5), p.window());
        assertEquals(1.0, p.maxErrorRatePoints());
        assertEquals(1.2, p.maxP99Ratio());
        assertEquals(50, p.minRequests());
        assertNull(CanaryPolicy.parse(Map.of("window", "5m")), "no canary parameter: no canary");
    }

    @Test
    void should_read_every_parameter_and_write_them_back_canonically() throws Exception {
        CanaryPolicy p = CanaryPolicy.parse(Map.of("canary", "0.5%", "stickyBy", "cookie:cn", "window", "30s",
            "maxErrorRate", "+2.5pp", "maxP99", "1.5x", "minRequests", "20"));

        assertEquals(50, p.basisPoints());
        assertEquals(Split.StickyBy.COOKIE, p.stickyBy());
        assertEquals("cn", p.stickyName());
        assertEquals(Map.of("canary", "0.5%", "stickyBy", "cookie:cn", "window", "30s", "maxErrorRate", "+2.5pp",
            "maxP99", "1.5x", "minRequests", "20"), p.toParams());
        assertEquals(p, CanaryPolicy.parse(p.toParams()));
        assertEquals("header:X-User", CanaryPolicy.parse(Map.of("canary", "10%", "stickyBy", "header:X-User")).stickyByText());
    }

    @Test
    void should_refuse_each_bad_parameter_by_name() {
        for (Map<String, String> bad : List.of(Map.of("canary", "150%"), Map.of("canary", "0%"), Map.of("canary", "abc"),
            Map.of("canary", "100%"))) {
            assertEquals("canary", refused(bad).get(0).path(), bad.toString());
        }
        assertEquals("stickyBy", refused(Map.of("canary", "5%", "stickyBy", "consumer")).get(0).path());
        assertEquals("stickyBy", refused(Map.of("canary", "5%", "stickyBy", "header:")).get(0).path());
        assertEquals("window", refused(Map.of("canary", "5%", "window", "0s")).get(0).path());
        assertEquals("window", refused(Map.of("canary", "5%", "window", "2h")).get(0).path());
        assertEquals("maxErrorRate", refused(Map.of("canary", "5%", "maxErrorRate", "x")).get(0).path());
        assertEquals("maxP99", refused(Map.of("canary", "5%", "maxP99", "0.5x")).get(0).path());
        assertEquals("minRequests", refused(Map.of("canary", "5%", "minRequests", "0")).get(0).path());
        assertEquals(2, refused(Map.of("canary", "x", "window", "y")).size(), "every bad parameter at once");
    }

    private static List<Problem> refused(Map<String, String> params) {
        DefinitionException e = assertThrows(DefinitionException.class, () -> CanaryPolicy.parse(params));
        assertEquals(DefinitionException.Kind.INVALID, e.kind());
        return e.problems();
    }
}
