package dev.meridian.policy.introspection;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The bearer token of a request, as RFC 6750 §2.1 spells it. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BearerTokenTest {

    /** RFC 6750's b64token as a regular expression: what the table-driven check must agree with. */
    private static final Pattern B64TOKEN = Pattern.compile("[A-Za-z0-9\\-._~+/]{1,8192}=*");

    @Test
    void should_take_exactly_the_tokens_rfc_6750_allows() {
        for (String t : new String[] {"abc", "a=", "a==", "A-Z.a_z~0+9/", "x".repeat(8192), "x".repeat(8192) + "=="}) {
            assertEquals(Optional.of(t), BearerToken.from(Optional.of("Bearer " + t)), t);
        }
        for (String t : new String[] {"", "=", "==", "a=b", "a b", "a\tb", "é", "a,b", "a;b", "a\"b", "x".repeat(8193), "\u0100"}) {
            assertEquals(Optional.empty(), BearerToken.from(Optional.of("Bearer " + t)), t);
        }
        assertEquals(Optional.of("tok"), BearerToken.from(Optional.of("bearer  tok  ")), "scheme in any case, blanks around");
        assertEquals(Optional.empty(), BearerToken.from(Optional.of("Basic dXNlcjpwYXNz")));
    }

    @Test
    void should_agree_with_the_grammar_on_random_strings() {
        Random random = new Random(12);
        String alphabet = "Aa0-._~+/=,; \t\"\\é\u0100:";
        for (int i = 0; i < 100_000; i++) {
            StringBuilder t = new StringBuilder();
            for (int n = random.nextInt(8); n > 0; n--) {
                t.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String token = t.toString();
            assertEquals(B64TOKEN.matcher(token).matches(), BearerToken.isB64Token(token), "\"" + token + "\"");
        }
    }
}
