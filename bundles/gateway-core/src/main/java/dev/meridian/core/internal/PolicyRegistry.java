package dev.meridian.core.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.meridian.core.PluginInfo;
import dev.meridian.policy.api.PolicyFactory;

/**
 * The policy factories registered as OSGi services (whiteboard), by type. Several providers of
 * one type may be registered at once (during an update that installs the new bundle first);
 * the highest service ranking wins, then the lowest service id. Copy-on-write: readers take
 * an immutable snapshot, writers synchronize.
 */
final class PolicyRegistry {

    /**
     * One registered factory, where it comes from, and the context made for it when it bound
     * (passed to every {@code create}, closed when it unbinds).
     */
    record Provider(PolicyFactory factory, String type, long serviceId, int ranking, String bundle, String version,
                    FactoryContext context) {
    }

    private static final Comparator<Provider> PREFERENCE =
        Comparator.comparingInt(Provider::ranking).reversed().thenComparingLong(Provider::serviceId);

    private volatile Map<String, List<Provider>> byType = Map.of();

    synchronized void add(Provider provider) {
        Map<String, List<Provider>> copy = new HashMap<>(byType);
        List<Provider> list = new ArrayList<>(copy.getOrDefault(provider.type(), List.of()));
        list.add(provider);
        list.sort(PREFERENCE);
        copy.put(provider.type(), List.copyOf(list));
        byType = Map.copyOf(copy);
    }

    /** Removes exactly this factory instance; other providers of the type stay. Answers what was removed. */
    synchronized Optional<Provider> remove(PolicyFactory factory, String type) {
        List<Provider> list = byType.get(type);
        if (list == null) {
            return Optional.empty();
        }
        Optional<Provider> removed = list.stream().filter(p -> p.factory() == factory).findFirst();
        List<Provider> kept = list.stream().filter(p -> p.factory() != factory).toList();
        Map<String, List<Provider>> copy = new HashMap<>(byType);
        if (kept.isEmpty()) {
            copy.remove(type);
        } else {
            copy.put(type, kept);
        }
        byType = Map.copyOf(copy);
        return removed;
    }

    Optional<Provider> provider(String type) {
        List<Provider> list = byType.get(type);
        return list == null ? Optional.empty() : Optional.of(list.get(0));
    }

    List<PluginInfo> plugins() {
        List<PluginInfo> out = new ArrayList<>();
        byType.values().forEach(list -> {
            for (int i = 0; i < list.size(); i++) {
                Provider p = list.get(i);
                out.add(new PluginInfo(p.type(), p.bundle(), p.version(), i == 0));
            }
        });
        out.sort(Comparator.comparing(PluginInfo::type).thenComparing(PluginInfo::version));
        return out;
    }
}
