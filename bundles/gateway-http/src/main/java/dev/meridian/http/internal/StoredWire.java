package dev.meridian.http.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.PreEncodedHttpField;

/**
 * Stored answers' fields in the form Jetty writes fastest, prepared once per cache entry instead of
 * once per hit: JFR put copying stored fields into Jetty's (a new {@code HttpField} per line, the
 * name looked up in Jetty's header trie, values encoded again) at ~9% of a hit.
 *
 * <p>A direct-mapped table keyed by the identity of the entry's field list (the same list for
 * every hit of an entry held in the node's fast tier): a hit on another slot's entry prepares
 * again and takes the slot. Racy by design and safe: a slot holds an immutable record with final
 * fields. It pins at most {@value #SLOTS} field lists (not their bodies).
 */
final class StoredWire {

    static final int SLOTS = 4096;

    /**
     * Prepared fields of one entry: its {@code Date} (null if none) and the rest, filtered as a
     * proxy forwards them, without the fields the gateway stamps on every answer; {@code wire}:
     * the rest as the connection writes them ({@link HitWire#block}).
     */
    record Prepared(List<Map.Entry<String, String>> key, HttpField date, HttpField[] fields, byte[] wire) {
    }

    private final Prepared[] slots = new Prepared[SLOTS];

    Prepared of(List<Map.Entry<String, String>> stored) {
        int i = System.identityHashCode(stored) & (SLOTS - 1);
        Prepared p = slots[i];
        if (p != null && p.key == stored) {
            return p;
        }
        p = prepare(stored);
        slots[i] = p;
        return p;
    }

    static Prepared prepare(List<Map.Entry<String, String>> stored) {
        HttpField date = null;
        List<HttpField> fields = new ArrayList<>(stored.size());
        for (Map.Entry<String, String> f : stored) {
            String name = f.getKey();
            if (name.equalsIgnoreCase("Date")) {
                date = new PreEncodedHttpField(HttpHeader.DATE, f.getValue()); // the stored Date (RFC 9110 §6.6.1)
            } else if (!Headers.skipOnResponse(name) && !dev.meridian.core.flow.StoredFields.isAge(name)
                && !stampedByGateway(name)) {
                HttpHeader known = HttpHeader.CACHE.get(name);
                fields.add(known == HttpHeader.CONTENT_LENGTH ? Length.of(name, f.getValue())
                    : known == null ? new PreEncodedHttpField(name, f.getValue())
                    : new PreEncodedHttpField(known, name, f.getValue()));
            }
        }
        HttpField[] all = fields.toArray(HttpField[]::new);
        return new Prepared(stored, date, all, HitWire.block(all));
    }

    /**
     * Fields the gateway sets on every answer (GatewayHandler's {@code stamp}), replacing an
     * upstream's: left out here so that a hit appends its own without searching for these.
     */
    static boolean stampedByGateway(String name) {
        return name.equalsIgnoreCase(GatewayHandler.REVISION) || name.equalsIgnoreCase(GatewayHandler.REQUEST_ID)
            || name.equalsIgnoreCase(GatewayHandler.X_CACHE);
    }

    /**
     * {@code Content-Length} pre-encoded with its number kept: Jetty's generator asks every
     * response's length as a number, and a plain pre-encoded field parses its text each time (2% of
     * a hit's samples).
     */
    static final class Length extends PreEncodedHttpField {
        private final long value;

        private Length(String name, String text, long value) {
            super(HttpHeader.CONTENT_LENGTH, name, text);
            this.value = value;
        }

        static PreEncodedHttpField of(String name, String text) {
            try {
                long value = Long.parseLong(text.trim());
                if (value >= 0) {
                    return new Length(name, text, value);
                }
            } catch (NumberFormatException e) {
                // left as text; Jetty rejects it as it would have
            }
            return new PreEncodedHttpField(HttpHeader.CONTENT_LENGTH, name, text);
        }

        @Override
        public long getLongValue() {
            return value;
        }

        @Override
        public int getIntValue() {
            return Math.toIntExact(value);
        }
    }
}
