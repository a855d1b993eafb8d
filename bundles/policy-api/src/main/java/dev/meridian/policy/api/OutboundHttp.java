package dev.meridian.policy.api;

import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The node's asynchronous HTTP client, offered to policies through {@link PolicyContext#http()}.
 * Connections are pooled per origin and shared by every policy and revision of the node.
 *
 * @since 1.2
 */
@ProviderType
public interface OutboundHttp {

    /**
     * Sends {@code request}. The stage completes with the response (any status) or exceptionally
     * with an {@link java.io.IOException} (connect failure, TLS failure, timeout, a body above
     * {@link OutboundRequest#maxBodyBytes()}); it never completes on the caller's thread.
     */
    CompletionStage<OutboundResponse> send(OutboundRequest request);
}
