package dev.meridian.core.cache;

import java.util.List;

/**
 * A client's own conditional GET answered from a stored entry (RFC 9110 §13.2.2): when
 * {@code If-None-Match} is present it alone decides (weak comparison); otherwise
 * {@code If-Modified-Since} against the stored {@code Last-Modified}. Stateless.
 */
public final class Conditionals {

    private Conditionals() {
    }

    /** Whether the request's conditions say it already has {@code entry}: answer 304 instead. */
    public static boolean notModified(HeaderView request, CachedResponse entry) {
        List<String> inm = request.values(Fields.IF_NONE_MATCH);
        if (!inm.isEmpty()) {
            String etag = entry.etag();
            if (etag == null) {
                return false;
            }
            String stored = opaque(etag.trim());
            for (String line : inm) {
                for (String candidate : line.split(",")) {
                    String c = candidate.trim();
                    if (c.equals("*") || (!c.isEmpty() && opaque(c).equals(stored))) {
                        return true;
                    }
                }
            }
            return false;
        }
        String ims = request.first(Fields.IF_MODIFIED_SINCE);
        String lastModified = entry.lastModified();
        if (ims == null || lastModified == null) {
            return false;
        }
        long since = HttpDates.parse(ims);
        long modified = HttpDates.parse(lastModified);
        return since != Long.MIN_VALUE && modified != Long.MIN_VALUE && modified <= since;
    }

    /** The entity tag without its weakness indicator: weak comparison (RFC 9110 §8.8.3.2). */
    private static String opaque(String tag) {
        return tag.startsWith("W/") ? tag.substring(2) : tag;
    }
}
