package dev.meridian.policy.introspection;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import dev.meridian.policy.introspection.Revocations.Verdict;

class RevocationsTest {

    private static Revocations parse(String text) {
        return Revocations.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    private static TokenInfo token(String sub, String client, long iatSeconds, long fetchedAt) {
        return new TokenInfo(true, sub, client, "", "", 0, iatSeconds, fetchedAt);
    }

    @Test
    void should_reject_a_revoked_token_digest_whatever_its_times() {
        Revocations r = parse("meridian-revocations 1 3\ntoken 1000 " + BearerToken.sha256("t") + "\n");

        assertEquals(Verdict.REJECT, r.check(BearerToken.sha256("t"), token("a", "c", 5000, 9_000_000)));
        assertEquals(Verdict.KEEP, r.check(BearerToken.sha256("u"), token("a", "c", 5000, 9_000_000)));
        assertEquals(3, r.sequence());
    }

    @Test
    void should_reject_tokens_of_a_subject_or_client_issued_at_or_before_the_revocation() {
        Revocations r = parse("meridian-revocations 1 1\nsub 10000 al%20ice\nclient 20000 batch\n");

        assertEquals(Verdict.REJECT, r.check("h", token("al ice", "", 10, 0)));
        assertEquals(Verdict.KEEP, r.check("h", token("al ice", "", 11, 0)));
        assertEquals(Verdict.REJECT, r.check("h", token("bob", "batch", 20, 0)));
        assertEquals(Verdict.KEEP, r.check("h", token("bob", "other", 1, 0)));
    }

    @Test
    void should_ask_again_when_there_is_no_iat_and_the_answer_predates_the_revocation() {
        Revocations r = parse("meridian-revocations 1 1\nclient 20000 batch\n");

        assertEquals(Verdict.ASK_AGAIN, r.check("h", token("", "batch", 0, 20000)));
        assertEquals(Verdict.KEEP, r.check("h", token("", "batch", 0, 20001)));
        assertEquals(20000, r.revokedAt(token("", "batch", 0, 0)));
    }

    @Test
    void should_skip_damaged_and_unknown_lines_and_refuse_another_format() {
        Revocations r = parse("meridian-revocations 1 7\nsub x alice\nscope 1 admin\nbroken\nsub 5000 bob\n");

        assertEquals(1, r.size());
        assertEquals(Verdict.REJECT, r.check("h", token("bob", "", 5, 0)));
        assertEquals(Revocations.NONE, parse("something else 1 2\nsub 5 bob\n"));
        assertEquals(Revocations.NONE, parse("meridian-revocations 1 x\n"));
    }
}
