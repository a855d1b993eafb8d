package dev.meridian.shell;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import dev.meridian.manager.AdminException;
import dev.meridian.manager.Change;
import dev.meridian.manager.RevisionInfo;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.PolicySpec;
import dev.meridian.model.Problem;

/** The words and lines the commands print; pure functions, so they are tested without a shell. */
final class Text {

    private static final String NONE = "-";

    private Text() {
    }

    /** {@code Error (<status>): <message>}, then one {@code   <path>: <message>} line per detail. */
    static List<String> errorLines(AdminException e) {
        List<String> lines = new ArrayList<>();
        lines.add("Error (" + e.status() + "): " + e.getMessage());
        for (Problem detail : e.details()) {
            lines.add("  " + detail.describe());
        }
        return lines;
    }

    /** The outcome of {@code apply}. */
    static String applied(Change change) {
        if (!change.changed()) {
            return "No change: revision " + change.revision() + " is current";
        }
        return "Applied revision " + change.revision() + " (" + diff(change) + ")";
    }

    /** The outcome of {@code apply --dry-run}. */
    static String validated(Change change) {
        return "Valid; applying would change " + (isEmpty(change) ? "nothing" : "(" + diff(change) + ")");
    }

    /** The outcome of {@code rollback}. */
    static String rolledBack(long to, Change change) {
        if (!change.changed()) {
            return "No change: revision " + change.revision() + " already equals revision " + to;
        }
        return "Rolled back to revision " + to + " as revision " + change.revision() + " (" + diff(change) + ")";
    }

    /** {@code gateway:canary}: the running canary or the last one's outcome. */
    static List<String> canary(java.util.Map<String, Object> tree) {
        List<String> lines = new ArrayList<>();
        if (!"running".equals(tree.get("state"))) {
            lines.add("No canary is running.");
            if (tree.get("last") instanceof java.util.Map<?, ?> last) {
                lines.add("Last: canary of revision " + last.get("canary") + " " + last.get("outcome") + " by " + last.get("user")
                    + " as revision " + last.get("revision") + " at " + last.get("time") + ": " + last.get("reason"));
            }
            return lines;
        }
        lines.add("Canary of revision " + tree.get("revision") + " beside revision " + tree.get("stable") + ": "
            + tree.get("share") + " sticky by " + tree.get("stickyBy") + ", window " + tree.get("window") + ", limits "
            + tree.get("maxErrorRate") + " errors and " + tree.get("maxP99") + " p99; started " + tree.get("startedAt")
            + " by " + tree.get("user"));
        if (tree.get("sides") instanceof java.util.Map<?, ?> sides) {
            lines.add(CanaryCommand.side("stable", sides.get("stable")));
            lines.add(CanaryCommand.side("canary", sides.get("canary")));
        }
        CanaryCommand.nodes(tree.get("nodes"), lines);
        lines.add("Verdict: " + tree.get("verdict") + " (" + tree.get("reason") + ")");
        return lines;
    }

    /** {@code added: a, b; updated: -; removed: c}. */
    static String diff(Change change) {
        return "added: " + names(change.added()) + "; updated: " + names(change.updated())
                + "; removed: " + names(change.removed());
    }

    /** A history entry's changes in one column: {@code +added ~updated -removed}, or {@code -}. */
    static String changes(RevisionInfo info) {
        List<String> marks = new ArrayList<>();
        info.added().forEach(id -> marks.add("+" + id));
        info.updated().forEach(id -> marks.add("~" + id));
        info.removed().forEach(id -> marks.add("-" + id));
        return marks.isEmpty() ? NONE : String.join(" ", marks);
    }

    /** The API's policy types in definition order, or {@code -}. */
    static String policyTypes(ApiDefinition api) {
        return api.policies().isEmpty() ? NONE
                : api.policies().stream().map(PolicySpec::type).collect(Collectors.joining(", "));
    }

    /** RFC 3339 UTC to the second, as the admin API writes it. */
    static String time(Instant time) {
        return DateTimeFormatter.ISO_INSTANT.format(time.truncatedTo(ChronoUnit.SECONDS));
    }

    private static String names(List<String> ids) {
        return ids.isEmpty() ? NONE : String.join(", ", ids);
    }

    private static boolean isEmpty(Change change) {
        return change.added().isEmpty() && change.updated().isEmpty() && change.removed().isEmpty();
    }
}
