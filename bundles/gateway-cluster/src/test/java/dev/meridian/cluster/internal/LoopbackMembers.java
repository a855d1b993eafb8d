package dev.meridian.cluster.internal;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.IntStream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;

/**
 * Two Hazelcast members in the test's JVM, joined over loopback on a port range of the test
 * class's own (TCP/IP join, nothing multicast), for the tests that need a real cluster: a JUnit
 * extension ({@code @RegisterExtension static}) that starts them before the class's tests and
 * shuts them down after.
 */
final class LoopbackMembers implements BeforeAllCallback, AfterAllCallback {

    private final String cluster;
    private final int firstPort;
    private final int ports;
    private final Consumer<Config> more;
    HazelcastInstance a;
    HazelcastInstance b;

    /** Members of {@code cluster} on ports {@code firstPort} .. {@code firstPort + ports - 1}, each configured further by {@code more}. */
    LoopbackMembers(String cluster, int firstPort, int ports, Consumer<Config> more) {
        this.cluster = cluster;
        this.firstPort = firstPort;
        this.ports = ports;
        this.more = more;
    }

    /** Starts both and returns once they see each other. */
    @Override
    public void beforeAll(ExtensionContext context) {
        a = Hazelcast.newHazelcastInstance(config());
        b = Hazelcast.newHazelcastInstance(config());
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> a.getCluster().getMembers().size() == 2);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (b != null) {
            b.shutdown();
        }
        if (a != null) {
            a.shutdown();
        }
    }

    private Config config() {
        Config c = new Config().setClusterName(cluster);
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.socket.bind.any", "false");
        c.getNetworkConfig().setPort(firstPort).setPortAutoIncrement(true).setPortCount(ports);
        c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig j = c.getNetworkConfig().getJoin();
        j.getMulticastConfig().setEnabled(false);
        j.getAutoDetectionConfig().setEnabled(false);
        j.getTcpIpConfig().setEnabled(true).setMembers(
            IntStream.range(firstPort, firstPort + ports).mapToObj(p -> "127.0.0.1:" + p).toList());
        more.accept(c);
        return c;
    }
}
