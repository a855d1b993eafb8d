package dev.meridian.cache.internal;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import dev.meridian.cache.CacheFlow;
import dev.meridian.cache.ResponseCache;
import dev.meridian.core.flow.CacheSteps;
import dev.meridian.core.flow.Exchange;
import dev.meridian.core.flow.Step;
import dev.meridian.core.flow.UpstreamClient;

/**
 * Registers the cache's part of every request ({@link CacheFlow}) for the data plane while the
 * node has a response cache (that is, a cluster store); without it the data plane passes
 * everything through.
 */
@Component(service = CacheSteps.class, immediate = true)
public final class CacheStepsComponent implements CacheSteps {

    @Reference
    private ResponseCache cache;

    /** For background refreshes of stale entries; the data plane registers it. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
        policyOption = ReferencePolicyOption.GREEDY)
    private volatile UpstreamClient upstream;

    private final CacheFlow flow = new CacheFlow(() -> cache, () -> upstream);

    @Override
    public boolean answeredBeforePipeline(Exchange e) {
        return flow.answeredBeforePipeline(e);
    }

    @Override
    public boolean answeredIfFreshHit(Exchange e) {
        return flow.answeredIfFreshHit(e);
    }

    @Override
    public Step lookup() {
        return flow.lookup();
    }

    @Override
    public Step afterUpstream() {
        return flow.afterUpstream();
    }

    @Override
    public java.util.concurrent.CompletionStage<Void> beforeWrite(Exchange e) {
        return flow.beforeWrite(e);
    }

    @Override
    public String outcome(Exchange e) {
        return flow.outcome(e);
    }

    @Override
    public void abandon(Exchange e) {
        flow.abandon(e);
    }
}
