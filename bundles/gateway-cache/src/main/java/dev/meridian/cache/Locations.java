package dev.meridian.cache;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

import dev.meridian.model.Upstream;

/**
 * Which of the gateway's URLs a {@code Location} or {@code Content-Location} names, for the
 * invalidation after an unsafe request (RFC 9111 §4.4: only URLs of the same origin as the
 * request). Stateless.
 */
final class Locations {

    private Locations() {
    }

    /**
     * The gateway path and raw query (null when none) that {@code value} names, or null when it
     * names another origin or cannot be read. A relative reference is resolved against the
     * request's path (as the client resolves it); an absolute one must have the request's
     * {@code Host}, or the upstream's authority, whose path then maps back under the basePath.
     */
    static String[] sameOrigin(String value, String requestPath, String host, Upstream upstream, String basePath) {
        URI ref;
        try {
            ref = new URI(value.trim());
        } catch (URISyntaxException e) {
            return null;
        }
        String path;
        if (ref.getRawAuthority() == null) {
            if (ref.getScheme() != null) {
                return null; // urn:, mailto:, ...
            }
            try {
                URI base = new URI("http", "gateway", requestPath, null);
                path = base.resolve(ref).getRawPath();
            } catch (URISyntaxException | IllegalArgumentException e) {
                return null;
            }
        } else {
            String scheme = ref.getScheme() == null ? "http" : ref.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                return null;
            }
            String authority = authority(ref, scheme);
            if (host != null && authority.equals(authority(host, scheme))) {
                path = ref.getRawPath();
            } else if (authority.equals(authority(upstream.host() + ":" + upstream.port(), upstream.scheme()))) {
                String raw = ref.getRawPath() == null || ref.getRawPath().isEmpty() ? "/" : ref.getRawPath();
                String prefix = upstream.path();
                if (!prefix.isEmpty() && !(raw.equals(prefix) || raw.startsWith(prefix + "/"))) {
                    return null; // outside what this API maps to
                }
                String rest = raw.substring(prefix.length());
                path = basePath.equals("/") ? (rest.isEmpty() ? "/" : rest) : basePath + (rest.equals("/") ? "/" : rest);
            } else {
                return null;
            }
        }
        String normal = normalise(path == null || path.isEmpty() ? "/" : path);
        return normal == null ? null : new String[] {normal, ref.getRawQuery()};
    }

    /** The path with dot-segments resolved (RFC 3986 §5.2.4), or null when it climbs above the root. */
    static String normalise(String path) {
        if (path.charAt(0) != '/') {
            return null;
        }
        try {
            String n = new URI(path).normalize().getRawPath(); // raw: %xx stays as it is
            return n == null || n.startsWith("/..") || n.equals("..") ? null : n;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /** {@code host:port} in lower case, with the scheme's default port made explicit. */
    private static String authority(URI uri, String scheme) {
        int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        String h = uri.getHost() != null ? uri.getHost() : uri.getRawAuthority();
        return h.toLowerCase(Locale.ROOT) + ":" + port;
    }

    private static String authority(String hostPort, String scheme) {
        try {
            return authority(new URI(scheme + "://" + hostPort.trim()), scheme);
        } catch (URISyntaxException e) {
            return hostPort.toLowerCase(Locale.ROOT);
        }
    }
}
