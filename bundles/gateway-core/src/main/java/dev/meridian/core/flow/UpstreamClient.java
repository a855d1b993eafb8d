package dev.meridian.core.flow;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The upstream call, owned by the data plane's HTTP client (pooled keep-alive connections, no
 * thread waiting).
 */
public interface UpstreamClient {

    /**
     * The step that sends the exchange's request (its method, its path mapped onto the upstream,
     * its fields as the request phase left them, its body streamed) and answers the exchange with
     * the upstream's status, fields and streamed body ({@link Answer.Upstream}), or 502/504/413
     * ({@link Answer.Rejection}) when the upstream fails, times out or the body is too large.
     * Skipped when the exchange is already answered.
     */
    Step call();

    /**
     * A GET without a client waiting (a stale entry's background refresh): the exchange's request
     * fields without its preconditions, plus {@code conditions}; the whole answer, at most
     * {@code maxBody} bytes, within the upstream's timeout. The stage fails when the upstream
     * does or the body is larger.
     */
    CompletionStage<Fetched> fetch(Exchange exchange, Map<String, String> conditions, int maxBody);

    /** A fetched answer. */
    record Fetched(int status, List<Map.Entry<String, String>> headers, byte[] body) {
    }
}
