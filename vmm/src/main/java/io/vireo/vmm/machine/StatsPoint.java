package io.vireo.vmm.machine;

import io.vireo.vmm.kvm.KvmStats;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every counter of a machine at one moment, or the difference of two moments ({@link #minus}).
 *
 * @param nanos          System.nanoTime() when taken; in a difference, the elapsed nanoseconds
 * @param kvm            KVM's VM and per-vCPU stats; null when the machine was built without stats
 * @param userspaceExits user-space exits by kind, summed over vCPUs (kind names of {@link ExitCounters})
 * @param dataplane      source name to its counters, in registration and report order
 */
public record StatsPoint(long nanos, KvmStats.Sample kvm, Map<String, Long> userspaceExits,
                         Map<String, Map<String, Long>> dataplane) {
    public StatsPoint {
        userspaceExits = Collections.unmodifiableMap(new LinkedHashMap<>(userspaceExits));
        Map<String, Map<String, Long>> d = new LinkedHashMap<>();
        dataplane.forEach((k, v) -> d.put(k, Collections.unmodifiableMap(new LinkedHashMap<>(v))));
        dataplane = Collections.unmodifiableMap(d);
    }

    /**
     * This minus {@code earlier}: KVM stats as {@link KvmStats.Sample#minus}; user-space exits and data plane
     * counters (all counters, by the StatsSource contract) by difference; a counter that appeared since
     * counts from 0.
     */
    public StatsPoint minus(StatsPoint earlier) {
        KvmStats.Sample k = kvm == null || earlier.kvm == null ? null : kvm.minus(earlier.kvm);
        Map<String, Map<String, Long>> d = new LinkedHashMap<>();
        dataplane.forEach((source, counters) -> d.put(source,
            difference(counters, earlier.dataplane.getOrDefault(source, Map.of()))));
        return new StatsPoint(nanos - earlier.nanos, k, difference(userspaceExits, earlier.userspaceExits), d);
    }

    private static Map<String, Long> difference(Map<String, Long> now, Map<String, Long> before) {
        Map<String, Long> d = new LinkedHashMap<>();
        now.forEach((name, v) -> d.put(name, v - before.getOrDefault(name, 0L)));
        return d;
    }

    /** The sum of a KVM vCPU statistic over all vCPUs, or -1 without KVM stats or without that statistic. */
    public long vcpuTotal(String name) {
        if (kvm == null || kvm.vcpus().isEmpty() || !kvm.vcpus().get(0).has(name)) {
            return -1;
        }
        long sum = 0;
        for (var v : kvm.vcpus()) {
            sum += v.get(name);
        }
        return sum;
    }
}
