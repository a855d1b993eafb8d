package dev.meridian.manager.internal;

import dev.meridian.core.Settings;

/** This node's name, region and address as the cluster listing shows them (CONTRACT §2). */
record NodeIdentity(String name, String region, String address) {

    static NodeIdentity fromEnvironment() {
        int httpPort = Settings.integer("MERIDIAN_HTTP_PORT", 8080);
        return new NodeIdentity(Settings.nodeName(),
            Settings.string("MERIDIAN_REGION", "default"), "127.0.0.1:" + httpPort);
    }
}
