package dev.meridian.http.logging;

import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * An SLF4J logger of this bundle (Jetty's and Meridian's own) that forwards what it logs to
 * Karaf's pax-logging and answers {@code isDebugEnabled()} and its kind from a level it keeps,
 * refreshed from pax-logging every second ({@link CachedLevelLoggers#refresh()}).
 *
 * <p>Why: Jetty asks {@code LOG.isDebugEnabled()} some twenty times per request (its parser, pool,
 * flusher, callbacks). Through pax-logging each question crosses four loggers (its SLF4J
 * adapter, its tracking logger, its log4j2 bridge, log4j's filter): JFR put those questions at
 * 4-7% of a cache hit's CPU. Here it is one field read. A level changed with {@code log:set}
 * takes effect for this bundle within a second.
 *
 * <p>Limits, none of which Karaf's default layout shows: markers are not passed on; a layout that
 * prints the caller's class or line ({@code %C}, {@code %L}) names this class; a log4j2 filter that
 * depends on the calling thread's context decides the cached level on the refreshing thread.
 */
final class CachedLevelLogger extends LegacyAbstractLogger {

    private static final long serialVersionUID = 1L;
    // The levels as int constants (Level.toInt()'s values): an enum's field is not a constant to
    // the JIT, and these are read ~20 times per request
    private static final int TRACE = 0;
    private static final int DEBUG = 10;
    private static final int INFO = 20;
    private static final int WARN = 30;
    private static final int ERROR = 40;
    /** {@link #threshold} when nothing is enabled. */
    private static final int OFF = 50;

    private final transient org.apache.logging.log4j.Logger target;
    /** The lowest level enabled (volatile: a plain load on x86, and a refresh is seen at once). */
    private volatile int threshold;

    CachedLevelLogger(String name, org.apache.logging.log4j.Logger target) {
        this.name = name;
        this.target = target;
        refresh();
    }

    /** Reads the level pax-logging gives this logger now. */
    void refresh() {
        int t;
        if (target.isTraceEnabled()) {
            t = TRACE;
        } else if (target.isDebugEnabled()) {
            t = DEBUG;
        } else if (target.isInfoEnabled()) {
            t = INFO;
        } else if (target.isWarnEnabled()) {
            t = WARN;
        } else if (target.isErrorEnabled()) {
            t = ERROR;
        } else {
            t = OFF;
        }
        if (t != threshold) {
            threshold = t;
        }
    }

    @Override
    public boolean isTraceEnabled() {
        return threshold <= TRACE;
    }

    @Override
    public boolean isDebugEnabled() {
        return threshold <= DEBUG;
    }

    @Override
    public boolean isInfoEnabled() {
        return threshold <= INFO;
    }

    @Override
    public boolean isWarnEnabled() {
        return threshold <= WARN;
    }

    @Override
    public boolean isErrorEnabled() {
        return threshold <= ERROR;
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    /** Called once the level was checked; formats {@code {}} placeholders as SLF4J does and hands the line on. */
    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String messagePattern, Object[] arguments,
                                               Throwable throwable) {
        String message = arguments == null || arguments.length == 0
            ? messagePattern
            : MessageFormatter.basicArrayFormat(messagePattern, arguments);
        target.log(level(level), message, throwable);
    }

    private static org.apache.logging.log4j.Level level(Level level) {
        switch (level) {
            case TRACE:
                return org.apache.logging.log4j.Level.TRACE;
            case DEBUG:
                return org.apache.logging.log4j.Level.DEBUG;
            case INFO:
                return org.apache.logging.log4j.Level.INFO;
            case WARN:
                return org.apache.logging.log4j.Level.WARN;
            default:
                return org.apache.logging.log4j.Level.ERROR;
        }
    }
}
