package dev.meridian.manager;

import java.time.Instant;

/**
 * One entry of the audit (CONTRACT §9 {@code GET /api/v1/audit}): who did what, through which
 * door, with which outcome. Never holds a secret or a token.
 *
 * @param user     a token's name, {@code admin} (or another Karaf user), or {@code deploy:<file>}
 * @param role     {@code admin}, {@code operator} or {@code viewer}
 * @param source   the client's address, or {@code shell} / {@code deploy}
 * @param call     what was asked, e.g. {@code PUT /api/v1/apis/orders} or {@code gateway:apply}
 * @param revision the revision it made (0 = none)
 * @param summary  a short outcome, e.g. {@code added [orders]} or {@code refused 403: needs operator}
 */
public record AuditEntry(Instant time, String user, String role, String source, String call, long revision,
                         String summary) {
}
