package dev.meridian.itests;

/**
 * An origin on loopback that a test puts behind its APIs and that {@link MeridianCluster} starts
 * and stops for it: {@link CountingUpstream}, {@link ScriptedUpstream} or an {@link HttpUpstream}.
 */
interface Upstream extends AutoCloseable {

    /** Starts an upstream; called by the extension before the nodes start. */
    @FunctionalInterface
    interface Factory<U extends Upstream> {
        U start() throws Exception;
    }

    int port();

    /** {@code http://127.0.0.1:<port><path>}, for an API's {@code upstream.url}. */
    default String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    /** Stops accepting and closes what it holds; never throws. */
    @Override
    void close();
}
