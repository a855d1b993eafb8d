package dev.meridian.policy.api;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The answer to an {@link OutboundRequest}: status, headers (names lower-case) and the whole body.
 *
 * @since 1.2
 */
public record OutboundResponse(int status, Map<String, List<String>> headers, byte[] body) {

    public OutboundResponse {
        headers = Map.copyOf(headers);
        body = body.clone();
    }

    /** First value of a header, by case-insensitive name. */
    public Optional<String> header(String name) {
        List<String> values = headers.get(name.toLowerCase(java.util.Locale.ROOT));
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    /** The body as UTF-8 text. */
    public String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public byte[] body() {
        return body.clone();
    }
}
