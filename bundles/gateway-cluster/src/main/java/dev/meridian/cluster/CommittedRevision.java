package dev.meridian.cluster;

/** One committed revision: its cluster-wide number and its payload (JSON text, the manager's format). */
public record CommittedRevision(long revision, String payload) {
}
