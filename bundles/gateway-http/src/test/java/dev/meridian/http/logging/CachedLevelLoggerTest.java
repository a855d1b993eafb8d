package dev.meridian.http.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Marker;
import org.apache.logging.log4j.message.Message;
import org.apache.logging.log4j.message.MessageFactory;
import org.apache.logging.log4j.message.SimpleMessageFactory;
import org.apache.logging.log4j.spi.AbstractLogger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class CachedLevelLoggerTest {

    /** A log4j2 logger as pax-logging would hand one out: a level that can change, the lines it got. */
    static final class Target extends AbstractLogger {
        private static final long serialVersionUID = 1L;
        volatile Level level = Level.INFO;
        final List<String> lines = new ArrayList<>();

        Target() {
            super("t", (MessageFactory) SimpleMessageFactory.INSTANCE);
        }

        private boolean on(Level l) {
            return level.isLessSpecificThan(l) || level == l;
        }

        @Override
        public boolean isEnabled(Level l, Marker marker, Message message, Throwable t) {
            return on(l);
        }

        @Override
        public boolean isEnabled(Level l, Marker marker, CharSequence message, Throwable t) {
            return on(l);
        }

        @Override
        public boolean isEnabled(Level l, Marker marker, Object message, Throwable t) {
            return on(l);
        }

        @Override
        public boolean isEnabled(Level l, Marker marker, String message, Throwable t) {
            return on(l);
        }

        @Override
        public boolean isEnabled(Level l, Marker marker, String message) {
            return on(l);
        }

        @Override
        public boolean isEnabled(Level l, Marker marker, String message, Object... params) {
            return on(l);
        }

        @Override
        public boolean isEnabled(Level l, Marker marker, String message, Object p0) {
            return on(l);
        }

        @Override
        public boolean isEnabled(Level l, Marker marker, String message, Object p0, Object p1) {
            return on(l);
        }

        @Override
        public boolean isEnabled(Level l, Marker marker, String message, Object p0, Object p1, Object p2) {
            return on(l);
        }

        @Override
        public boolean isEnabled(Level l, Marker marker, String message, Object p0, Object p1, Object p2, Object p3) {
            return on(l);
        }

        @Override
        public boolean isEnabled(Level l, Marker marker, String message, Object p0, Object p1, Object p2, Object p3,
                                 Object p4) {
            return on(l);
        }

        @Override
        public boolean isEnabled(Level l, Marker marker, String message, Object p0, Object p1, Object p2, Object p3,
                                 Object p4, Object p5) {
            return on(l);
        }

        @Override
        public boolean isEnabled(Level l, Marker marker, String message, Object p0, Object p1, Object p2, Object p3,
                                 Object p4, Object p5, Object p6) {
            return on(l);
        }

        @Override
        public boolean isEnabled(Level l, Marker marker, String message, Object p0, Object p1, Object p2, Object p3,
                                 Object p4, Object p5, Object p6, Object p7) {
            return on(l);
        }

        @Override
        public boolean isEnabled(Level l, Marker marker, String message, Object p0, Object p1, Object p2, Object p3,
                                 Object p4, Object p5, Object p6, Object p7, Object p8) {
            return on(l);
        }

        @Override
        public boolean isEnabled(Level l, Marker marker, String message, Object p0, Object p1, Object p2, Object p3,
                                 Object p4, Object p5, Object p6, Object p7, Object p8, Object p9) {
            return on(l);
        }

        @Override
        public void logMessage(String fqcn, Level l, Marker marker, Message message, Throwable t) {
            lines.add(l + " " + message.getFormattedMessage() + (t == null ? "" : " ! " + t.getMessage()));
        }

        @Override
        public Level getLevel() {
            return level;
        }
    }

    @Test
    void should_answer_the_level_it_read_until_the_next_refresh() {
        Target target = new Target();
        CachedLevelLogger log = new CachedLevelLogger("t", target);
        assertFalse(log.isDebugEnabled());
        assertTrue(log.isInfoEnabled());
        assertTrue(log.isErrorEnabled());

        target.level = Level.DEBUG; // a log:set
        assertFalse(log.isDebugEnabled(), "cached until refreshed");
        log.refresh();
        assertTrue(log.isDebugEnabled());
        assertFalse(log.isTraceEnabled());

        target.level = Level.TRACE;
        log.refresh();
        assertTrue(log.isTraceEnabled());
        target.level = Level.OFF;
        log.refresh();
        assertFalse(log.isErrorEnabled());
        target.level = Level.WARN;
        log.refresh();
        assertFalse(log.isInfoEnabled());
        assertTrue(log.isWarnEnabled());
    }

    @Test
    void should_format_placeholders_and_pass_the_throwable_and_level_on() {
        Target target = new Target();
        CachedLevelLogger log = new CachedLevelLogger("t", target);
        log.info("plain");
        log.info("a {} b {}", 1, "two");
        log.warn("failed {}", "x", new IllegalStateException("boom")); // a trailing throwable is the cause, not an argument
        log.error("no args", new IllegalArgumentException("bad"));
        log.debug("not enabled {}", 1);
        assertEquals(List.of("INFO plain", "INFO a 1 b two", "WARN failed x ! boom", "ERROR no args ! bad"), target.lines);
    }

    @Test
    void should_hand_out_one_logger_per_name() {
        CachedLevelLoggers loggers = new CachedLevelLoggers();
        assertSame(loggers.getLogger("a.b"), loggers.getLogger("a.b"));
        loggers.refreshLevels(); // reads each level again: no failure without pax-logging (log4j-api's own simple logger)
    }
}
