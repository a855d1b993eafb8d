package dev.meridian.http.logging;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import org.apache.logging.log4j.LogManager;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loggers of this bundle's private SLF4J ({@link CachedLevelLogger}). The bundle embeds its
 * own copy of the SLF4J API, as it embeds Jetty 12, with this factory as its provider; lines go on
 * to pax-logging through the log4j2 API that pax-logging exports.
 */
public final class CachedLevelLoggers implements ILoggerFactory {

    private final ConcurrentMap<String, CachedLevelLogger> loggers = new ConcurrentHashMap<>();

    @Override
    public Logger getLogger(String name) {
        return loggers.computeIfAbsent(name, n -> new CachedLevelLogger(n, LogManager.getLogger(n)));
    }

    /** Reads every logger's level from pax-logging again (a {@code log:set} since the last call). */
    public void refreshLevels() {
        loggers.values().forEach(CachedLevelLogger::refresh);
    }

    /**
     * Refreshes the levels of this bundle's loggers when they are cached here (in the bundle,
     * with its private SLF4J); nothing otherwise (unit tests, with another SLF4J provider).
     */
    public static void refresh() {
        if (LoggerFactory.getILoggerFactory() instanceof CachedLevelLoggers cached) {
            cached.refreshLevels();
        }
    }
}
