package dev.meridian.manager.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;

import dev.meridian.core.Settings;

/** This node's name, region and address as the cluster listing shows them (CONTRACT §2). */
record NodeIdentity(String name, String region, String address) {

    static NodeIdentity fromEnvironment() {
        int httpPort = Settings.integer("MERIDIAN_HTTP_PORT", 8080);
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        return new NodeIdentity(Settings.string("MERIDIAN_NODE_NAME", host + "-" + httpPort),
            Settings.string("MERIDIAN_REGION", "default"), "127.0.0.1:" + httpPort);
    }
}
