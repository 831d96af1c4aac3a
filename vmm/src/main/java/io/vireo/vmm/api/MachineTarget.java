package io.vireo.vmm.api;

import io.vireo.vmm.ExitStatus;
import io.vireo.vmm.kvm.KvmStatsSnapshot;
import io.vireo.vmm.machine.DeviceControl;
import io.vireo.vmm.machine.LiveStats;
import io.vireo.vmm.machine.Machine;
import io.vireo.vmm.machine.StatsPoint;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A running {@link Machine} as the API sees it. {@code vm.counters} is one {@link io.vireo.vmm.machine.MachineStats}
 * capture (the same counters as {@code --stats-json}: the devices', the agents', KVM's and the user-space exits) plus
 * each queue's service times so far from {@link LiveStats}.
 *
 * <pre>
 * {"wall_ns": N,
 *  "devices": {"disk0": {"requests": N, "read_bytes": N, ...}, ...},   per device, live
 *  "agents": {...},                                                     queue agents, summed
 *  "vm": {...}, "vcpus": [{...}, ...],                                  KVM's stats (when it has a stats fd)
 *  "userspace_exits": {"io": N, "mmio": N, ..., "total": N},
 *  "latency": {"disk0.q0": {"count": N, "mean_ns": N, "p50_ns": N, "p99_ns": N, "max_ns": N}, ...}}
 * </pre>
 */
public final class MachineTarget implements ApiTarget {
    /** The stats source that holds the agents' counters (not a device). */
    private static final String AGENTS = "agents";

    private final Machine machine;

    public MachineTarget(Machine machine) {
        this.machine = machine;
    }

    @Override
    public DeviceControl control() {
        return machine.control();
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpus", machine.config().cpus());
        m.put("memory_bytes", machine.config().memoryBytes());
        return m;
    }

    @Override
    public Map<String, Object> counters() {
        StatsPoint p = machine.stats().capture();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("wall_ns", machine.stats().wallNanos());
        Map<String, Object> devices = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, Long>> e : p.dataplane().entrySet()) {
            if (e.getKey().equals(AGENTS)) {
                m.put(AGENTS, e.getValue());
            } else {
                devices.put(e.getKey(), e.getValue());
            }
        }
        m.put("devices", devices);
        if (p.kvm() != null) {
            m.put("vm", p.kvm().vm().asMap());
            List<Map<String, Long>> vcpus = new ArrayList<>();
            for (KvmStatsSnapshot v : p.kvm().vcpus()) {
                vcpus.add(v.asMap());
            }
            m.put("vcpus", vcpus);
        }
        Map<String, Long> exits = new LinkedHashMap<>(p.userspaceExits());
        exits.put("total", exits.values().stream().mapToLong(Long::longValue).sum());
        m.put("userspace_exits", exits);
        LiveStats live = machine.live();
        if (live != null) {
            Map<String, Object> latency = new LinkedHashMap<>();
            for (Map.Entry<String, Histogram[]> e : live.latencyTotals().entrySet()) {
                Histogram h = e.getValue()[0];
                Map<String, Long> q = new LinkedHashMap<>();
                q.put("count", h.getTotalCount());
                q.put("mean_ns", h.getTotalCount() == 0 ? 0 : (long) h.getMean());
                q.put("p50_ns", h.getValueAtPercentile(50));
                q.put("p99_ns", h.getValueAtPercentile(99));
                q.put("max_ns", h.getMaxValue());
                latency.put(e.getKey(), q);
            }
            m.put("latency", latency);
        }
        return m;
    }

    @Override
    public void shutdown() {
        machine.stop(ExitStatus.POWER_OFF, "shut down through the API (vm.shutdown)");
    }
}
