package dev.meridian.http.internal;

import java.util.concurrent.CompletionStage;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.policy.api.OutboundHttp;
import dev.meridian.policy.api.OutboundRequest;
import dev.meridian.policy.api.OutboundResponse;

/**
 * Registers the node's {@link OutboundHttp} (a {@link NodeHttpClient}) as a service: started with
 * this bundle, stopped when it stops. The engine binds it dynamically and hands it to policies
 * through their {@code PolicyContext}, so a policy bundle update keeps the node's warm pools.
 */
@Component(service = OutboundHttp.class, immediate = true)
public final class OutboundHttpComponent implements OutboundHttp {

    private static final Logger LOG = LoggerFactory.getLogger(OutboundHttpComponent.class);

    private NodeHttpClient client;

    @Activate
    void activate() throws Exception {
        NodeHttpClient c = new NodeHttpClient();
        c.start();
        client = c;
        LOG.info("outbound HTTP client for policies started (at most {} connections per origin, {} queued)",
            NodeHttpClient.MAX_CONNECTIONS, NodeHttpClient.MAX_QUEUED);
    }

    @Deactivate
    void deactivate() {
        client.stop();
    }

    @Override
    public CompletionStage<OutboundResponse> send(OutboundRequest request) {
        return client.send(request);
    }
}
