package dev.meridian.policy.introspection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IntrospectionAnswerTest {

    private static Optional<TokenInfo> parse(String json) {
        return IntrospectionAnswer.parse(json.getBytes(StandardCharsets.UTF_8), 42);
    }

    @Test
    void should_read_the_members_it_uses_and_skip_the_rest() {
        TokenInfo info = parse("""
            {"active": true, "sub": "alice", "client_id": "app-1", "username": "al", "scope": "a b",
             "exp": 1800000100, "iat": 1800000000.5, "aud": ["x", {"deep": [1, 2]}], "ext": {"k": null}}
            """).orElseThrow();

        assertEquals(new TokenInfo(true, "alice", "app-1", "al", "a b", 1_800_000_100L, 1_800_000_000L, 42), info);
    }

    @Test
    void should_keep_nothing_but_inactive_from_an_inactive_answer() {
        assertEquals(Optional.of(TokenInfo.inactive(42)), parse("{\"active\": false, \"sub\": \"alice\", \"scope\": \"admin\"}"));
    }

    @Test
    void should_treat_json_null_members_as_absent() {
        TokenInfo info = parse("{\"active\": true, \"sub\": null, \"exp\": null}").orElseThrow();

        assertEquals("", info.sub());
        assertEquals(0, info.exp());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "[]",
        "\"active\"",
        "{}",                                          // no active
        "{\"active\": \"true\"}",                      // a string, not a boolean
        "{\"active\": 1}",
        "{\"active\": true, \"sub\": 5}",
        "{\"active\": true, \"sub\": {\"x\": 1}}",
        "{\"active\": true, \"scope\": [\"a\"]}",
        "{\"active\": true, \"exp\": \"1800000000\"}",
        "{\"active\": true, \"exp\": -5}",
        "{\"active\": true, \"exp\": 1e400}",
        "{\"active\": true, \"exp\": 99999999999999999999999999999999999999}",
        "{\"active\": true} {\"active\": false}",      // two objects
        "{\"active\": true} garbage",
        "{\"active\": true",                           // cut short
        "{\"active\": true,}",
        "{'active': true}",
    })
    void should_refuse_an_answer_that_is_not_a_well_typed_introspection_object(String json) {
        assertEquals(Optional.empty(), parse(json), json);
    }

    @Test
    void should_refuse_deep_nesting_without_recursing() {
        String deep = "{\"active\": true, \"x\": " + "[".repeat(100_000) + "]".repeat(100_000) + "}";

        assertEquals(Optional.empty(), parse(deep));
    }

    @Test
    void should_accept_nesting_within_the_limit() {
        int depth = IntrospectionAnswer.MAX_DEPTH - 2;
        String ok = "{\"active\": true, \"x\": " + "[".repeat(depth) + "]".repeat(depth) + "}";

        assertTrue(parse(ok).isPresent());
    }

    @Test
    void should_refuse_a_huge_string() {
        String huge = "{\"active\": true, \"sub\": \"" + "a".repeat(IntrospectionAnswer.MAX_STRING + 1) + "\"}";

        assertEquals(Optional.empty(), parse(huge));
    }

    @Test
    void should_skip_a_huge_unknown_member_without_keeping_it() {
        // skipped scalars are never materialised; the HTTP cap (64 KiB) bounds them anyway
        String huge = "{\"active\": true, \"junk\": \"" + "a".repeat(IntrospectionAnswer.MAX_STRING + 1) + "\"}";

        assertEquals(Optional.of(new TokenInfo(true, "", "", "", "", 0, 0, 42)), parse(huge));
    }

    @Test
    void should_survive_many_members() {
        StringBuilder b = new StringBuilder("{\"active\": true");
        for (int i = 0; i < 20_000; i++) {
            b.append(",\"m").append(i).append("\":").append(i);
        }
        assertTrue(parse(b.append('}').toString()).isPresent());
    }

    @Test
    void should_refuse_invalid_utf8() {
        byte[] bad = {'{', '"', 'a', 'c', 't', 'i', 'v', 'e', '"', ':', 't', 'r', 'u', 'e', ',', '"', 's', 'u', 'b', '"', ':', '"', (byte) 0xC3, '"', '}'};

        assertFalse(IntrospectionAnswer.parse(bad, 0).isPresent());
    }
}
