package dev.meridian.itests;

import java.util.Map;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.DistributedObject;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

/**
 * A foreign process that reaches the cluster port: a plain Hazelcast member (no Meridian code
 * runs in it, no secret) that joins the nodes' cluster and tries to change what they serve —
 * the next revision with another upstream, a stored answer with another body, an invalidation
 * broadcast. Run as its own JVM by {@code SafeDefaultsE2EIT}; prints one line per attempt.
 *
 * <p>Arguments: cluster name, own port, members (comma list), the upstream URL to replace, the
 * rogue upstream URL.
 */
public final class RogueMember {

    private RogueMember() {
    }

    public static void main(String[] args) throws Exception {
        Config c = new Config().setClusterName(args[0]);
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.socket.bind.any", "false");
        c.getNetworkConfig().setPort(Integer.parseInt(args[1])).setPortAutoIncrement(false);
        c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig j = c.getNetworkConfig().getJoin();
        j.getMulticastConfig().setEnabled(false);
        j.getAutoDetectionConfig().setEnabled(false);
        j.getTcpIpConfig().setEnabled(true).setMembers(java.util.List.of(args[2].split(",")));
        c.getMemberAttributeConfig().setAttribute("meridian.node", "rogue");
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(c);
        try {
            System.out.println("rogue joined: " + hz.getCluster().getMembers().size() + " members");
            IMap<Long, String> revisions = hz.getMap("meridian.revisions");
            long newest = revisions.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
            String current = revisions.get(newest);
            // the payload after its seal, with the rogue upstream: once unsealed, once under the old seal
            String json = current.startsWith("s1.") ? current.substring(current.indexOf('.', 3) + 1) : current;
            String forged = json.replace(args[3], args[4]);
            revisions.put(newest + 1, forged);
            revisions.put(newest + 2, current.substring(0, current.length() - json.length()) + forged);
            System.out.println("rogue forged revisions " + (newest + 1) + " and " + (newest + 2) + " from " + newest
                + (forged.equals(json) ? " (upstream not found in the payload)" : ""));
            // the maps a new member knows of arrive after its join (Hazelcast's post-join proxies):
            // it looks again until it finds the entry, for 15 s at most (a CI run's rogue once looked
            // before they came and forged nothing)
            long until = System.nanoTime() + 15_000_000_000L;
            while (forgeHonestEntries(hz) == 0 && System.nanoTime() < until) {
                Thread.sleep(200);
            }
            // an invalidation of everything, sent as Meridian's own broadcast class (built by reflection)
            Class<?> type = Class.forName("dev.meridian.cluster.internal.HazelcastCacheStore$Broadcast");
            java.lang.reflect.Constructor<?> ctor = type.getDeclaredConstructor(String.class);
            ctor.setAccessible(true);
            Object broadcast = ctor.newInstance("{\"op\":\"raise\",\"generations\":{\"api:safe\":9999999999999},\"sweep\":true}");
            @SuppressWarnings("unchecked")
            Map<com.hazelcast.cluster.Member, java.util.concurrent.Future<String>> replies = hz.getExecutorService(
                "meridian.cachemeta.broadcast").submitToAllMembers((java.util.concurrent.Callable<String>) broadcast);
            for (Map.Entry<com.hazelcast.cluster.Member, java.util.concurrent.Future<String>> r : replies.entrySet()) {
                String outcome;
                try {
                    outcome = "answered " + r.getValue().get(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    outcome = "refused: " + e.getCause();
                }
                System.out.println("rogue broadcast to " + r.getKey().getAttribute("meridian.node") + " " + outcome);
            }
            System.out.println("rogue done");
        } finally {
            hz.shutdown();
        }
    }

    /** Rewrites "honest" to "forged" in every stored answer it can see; answers how many it rewrote. */
    private static int forgeHonestEntries(HazelcastInstance hz) {
        int forged = 0;
        for (DistributedObject o : hz.getDistributedObjects()) {
            if (o.getName().startsWith("meridian.cache.") && o instanceof IMap<?, ?> raw) {
                @SuppressWarnings("unchecked")
                IMap<String, byte[]> m = (IMap<String, byte[]>) raw;
                for (Map.Entry<String, byte[]> e : m.entrySet()) {
                    byte[] v = e.getValue().clone();
                    String text = new String(v, java.nio.charset.StandardCharsets.ISO_8859_1);
                    int at = text.indexOf("honest");
                    if (at >= 0) {
                        byte[] rogue = "forged".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
                        System.arraycopy(rogue, 0, v, at, rogue.length);
                        m.put(e.getKey(), v);
                        System.out.println("rogue forged cache entry " + o.getName() + " " + e.getKey());
                        forged++;
                    }
                }
            }
        }
        return forged;
    }
}
