package dev.meridian.http.logging;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The SLF4J provider of this bundle's private SLF4J API, named in the bundle's
 * {@code META-INF/services/org.slf4j.spi.SLF4JServiceProvider} (put there by the bundle's build
 * only: unit tests log through slf4j-simple). MDC is kept in memory as SLF4J's basic adapter does; pax-logging does not see it.
 */
public final class CachedLevelProvider implements SLF4JServiceProvider {

    private CachedLevelLoggers loggers;
    private IMarkerFactory markers;
    private MDCAdapter mdc;

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggers;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
        loggers = new CachedLevelLoggers();
        markers = new BasicMarkerFactory();
        mdc = new BasicMDCAdapter();
    }
}
