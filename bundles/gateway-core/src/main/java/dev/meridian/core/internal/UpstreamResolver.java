package dev.meridian.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

import dev.meridian.core.Redaction;
import dev.meridian.model.Upstream;
import dev.meridian.model.UpstreamTargets;
import dev.meridian.model.UpstreamTls;
import dev.meridian.model.UpstreamUrl;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.tls.CertifiedKey;
import dev.meridian.tls.Pem;

/**
 * Resolves an API's upstream on this node into the one the data plane calls (CONTRACT §9
 * "Secrets"): {@code ${secret:NAME}} in {@code upstream.url} replaced by the secret's value and
 * the URL checked again (a value that makes it invalid is a problem at {@code upstream.url}); each
 * {@code upstream.tls} value that is a file path or {@code ${secret:NAME}} read into PEM text and
 * parsed (certificates, and the key against the certificate). Files are read on every call: the
 * engine calls it on every compile (every apply, any revision, and every secrets reload), so a
 * rotated CA or client certificate is used from the next one; equal material gives an equal
 * {@link Upstream}, so an upstream whose material did not change keeps its connection pool.
 *
 * <p>Problems name the field and the secret or file, never a value; a message from the URL
 * check is {@linkplain Redaction redacted}. Immutable; any thread (off the request path).
 */
final class UpstreamResolver {

    /** A PEM file larger than this is refused (a CA bundle is a few hundred KiB at most). */
    static final int MAX_PEM_FILE = 1024 * 1024;

    private final SecretResolver secrets;

    UpstreamResolver(SecretResolver secrets) {
        this.secrets = secrets;
    }

    /** The upstream to call and the redaction of the values in its URL. */
    record Resolved(Upstream upstream, Redaction redaction) {
    }

    /**
     * @throws PolicyConfigException every problem, at {@code upstream.url}, {@code upstream.tls.ca}, ...
     */
    Resolved resolve(Upstream u) throws PolicyConfigException {
        if (u.hasTargets()) {
            return resolveTargets(u);
        }
        UpstreamTls tls = u.tls();
        if (u.template().isEmpty() && isInline(tls.ca()) && isInline(tls.cert()) && isInline(tls.key())) {
            return new Resolved(u, Redaction.NONE); // the common case: nothing to read
        }
        List<PolicyConfigException.Problem> problems = new ArrayList<>();
        String url = u.url().toString();
        Redaction redaction = Redaction.NONE;
        if (!u.template().isEmpty()) {
            try {
                SecretResolver.Resolved r = secrets.resolve(Map.of("url", u.template()));
                url = (String) r.config().get("url");
                redaction = Redaction.of(r.values());
            } catch (PolicyConfigException e) {
                e.problems().forEach(p -> problems.add(new PolicyConfigException.Problem("upstream." + p.path(), p.message())));
            }
        }
        String ca = material(tls.ca(), "upstream.tls.ca", problems);
        String cert = material(tls.cert(), "upstream.tls.cert", problems);
        String key = material(tls.key(), "upstream.tls.key", problems);
        if (!problems.isEmpty()) {
            throw new PolicyConfigException(problems);
        }
        check(!ca.isEmpty(), "upstream.tls.ca", () -> Pem.certificates(ca), problems);
        check(!cert.isEmpty(), "upstream.tls", () -> CertifiedKey.of(cert, key), problems);
        Upstream resolved = null;
        try {
            resolved = u.resolved(url, new UpstreamTls(ca, cert, key));
            if (!u.template().isEmpty()) {
                // a failure's message names the host alone ("No name matching h found"), not the value it came from
                redaction = redaction.and(resolved.host(), authority(u.template()));
            }
        } catch (IllegalArgumentException e) {
            problems.add(new PolicyConfigException.Problem("upstream.url", u.template().isEmpty() ? e.getMessage()
                : "resolved on this node, " + redaction.apply(e.getMessage())));
        }
        if (!problems.isEmpty()) {
            throw new PolicyConfigException(problems);
        }
        return new Resolved(resolved, redaction);
    }

    /**
     * An upstream of several targets: each resolved as an upstream of its own (problems at
     * {@code upstream.targets[i].url}; tls problems once, at {@code upstream.tls...}); an
     * upstream equal to {@code u} when nothing needed resolving.
     */
    private Resolved resolveTargets(Upstream u) throws PolicyConfigException {
        List<UpstreamTargets.Target> targets = u.targets().targets();
        List<UpstreamTargets.Target> resolved = new ArrayList<>(targets.size());
        java.util.LinkedHashSet<PolicyConfigException.Problem> problems = new java.util.LinkedHashSet<>();
        Redaction redaction = Redaction.NONE;
        boolean changed = false;
        for (int i = 0; i < targets.size(); i++) {
            UpstreamTargets.Target t = targets.get(i);
            try {
                Resolved r = resolve(t.upstream());
                resolved.add(new UpstreamTargets.Target(r.upstream(), t.weight()));
                redaction = redaction.and(r.redaction());
                changed |= r.upstream() != t.upstream();
            } catch (PolicyConfigException e) {
                String at = "upstream.targets[" + i + "].url";
                e.problems().forEach(p -> problems.add(p.path().equals("upstream.url")
                    ? new PolicyConfigException.Problem(at, p.message()) : p));
            }
        }
        if (!problems.isEmpty()) {
            throw new PolicyConfigException(new ArrayList<>(problems));
        }
        return new Resolved(changed ? Upstream.ofTargets(u.targets().withTargets(resolved)) : u, redaction);
    }

    /**
     * The template's host as written: what follows {@code ://} up to the path (a reference holds
     * no {@code /}), without a port written out.
     */
    private static String authority(String template) {
        int start = template.indexOf("://") + 3;
        int end = template.indexOf('/', start);
        String authority = end < 0 ? template.substring(start) : template.substring(start, end);
        return authority.replaceFirst(":[0-9]+$", "");
    }

    private static boolean isInline(String value) {
        return value.isEmpty() || UpstreamTls.isPem(value);
    }

    /** PEM text of a tls value: itself when inline, else the file's or the secret's content; "" after a problem. */
    private String material(String value, String path, List<PolicyConfigException.Problem> problems) {
        if (isInline(value)) {
            return value;
        }
        Matcher reference = UpstreamUrl.REFERENCE.matcher(value);
        if (reference.matches()) {
            try {
                return secrets.read(reference.group(1));
            } catch (SecretResolver.SecretUnavailable e) {
                problems.add(new PolicyConfigException.Problem(path, e.getMessage()));
                return "";
            }
        }
        String why;
        try {
            return readFile(Path.of(value.trim()));
        } catch (NoSuchFileException e) {
            why = "no such file";
        } catch (IOException e) {
            why = e.getClass().getSimpleName(); // an OS error's message adds nothing to the path
        } catch (IllegalArgumentException e) {
            why = e.getMessage();
        }
        problems.add(new PolicyConfigException.Problem(path, "cannot read PEM file " + value.trim() + " on this node: " + why));
        return "";
    }

    private static String readFile(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString());
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("not a regular file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_PEM_FILE + 1);
            if (bytes.length > MAX_PEM_FILE) {
                throw new IllegalArgumentException("larger than " + MAX_PEM_FILE + " bytes");
            }
            return new String(bytes, StandardCharsets.US_ASCII);
        }
    }

    private static void check(boolean present, String path, Runnable parse, List<PolicyConfigException.Problem> problems) {
        if (!present) {
            return;
        }
        try {
            parse.run();
        } catch (IllegalArgumentException e) {
            problems.add(new PolicyConfigException.Problem(path, e.getMessage())); // gateway-tls never quotes the PEM
        }
    }
}
