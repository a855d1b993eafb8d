package dev.meridian.manager;

import java.time.Instant;
import java.util.List;

/** One entry of the revision history (CONTRACT §5 {@code GET /api/v1/revisions}). */
public record RevisionInfo(long revision, Instant time, String user, String source, List<String> added,
                           List<String> updated, List<String> removed) {
}
