package io.vireo.vmm.machine;

import io.vireo.dataplane.agent.AgentCounter;
import io.vireo.dataplane.agent.QueueAgent;
import io.vireo.dataplane.stats.CountersFile;
import io.vireo.dataplane.stats.ServiceTimes;
import io.vireo.vmm.kvm.KvmStats;
import io.vireo.vmm.kvm.KvmStatsSnapshot;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.status.AtomicCounter;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The sampled part of the live counters, written by the thread that waits for the machine's end ({@link
 * Machine#awaitExit()}, every {@value #PERIOD_MS} ms: no thread of its own)
 * into the counters file beside the data plane's own ordered counters: each vCPU's KVM counters (one pread of its
 * stats fd) and CPU time, each agent's CPU time (from the kernel, per thread), each queue's service-time percentiles
 * over the last period (its HdrHistogram recorders swapped), and the user-space exits. The data plane's counters need
 * no sampling: the agents write them into the file themselves.
 */
public final class LiveStats implements AutoCloseable {
    public static final long PERIOD_MS = 200;

    /** Per queue, over the last period: service time (pop to used publication) and back-end time. */
    public enum LatencyGauge {
        SVC_COUNT, SVC_MEAN_NS, SVC_P50_NS, SVC_P90_NS, SVC_P99_NS, SVC_P999_NS, SVC_MAX_NS, BE_P50_NS, BE_P99_NS
    }

    /** Per vCPU: KVM's counters (raw) and the thread's CPU time. */
    public enum VcpuGauge {
        EXITS, IO_EXITS, MMIO_EXITS, IRQ_INJECTIONS, HALT_EXITS, CPU_NS
    }

    /** A queue whose service times are sampled, named like its counters ({@code disk0.q0}). */
    public record Queue(String name, ServiceTimes times) {
    }

    /** CPU time at the last sample, and what it paid for. */
    public record Cpu(Map<String, Long> agentNs, List<Long> vcpuNs, long idlePollNs, long requests) {
        public long agentsTotalNs() {
            return agentNs.values().stream().mapToLong(Long::longValue).sum();
        }

        public long vcpusTotalNs() {
            return vcpuNs.stream().mapToLong(Long::longValue).sum();
        }
    }

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final List<Queue> queues;
    private final List<AtomicCounter[]> latency = new ArrayList<>();
    private final List<QueueAgent> agents;
    private final List<AtomicCounter> agentCpu = new ArrayList<>();
    private final List<LongSupplier> vcpuCpu;
    private final List<AtomicCounter[]> vcpus = new ArrayList<>();
    private final KvmStats kvm;
    private final AtomicCounter userspaceExits;
    private final Supplier<long[]> exits;
    private final LongSupplier requests;
    private final long[] lastCpu;
    private volatile boolean closed;

    LiveStats(CountersFile file, List<Queue> queues, List<QueueAgent> agents, List<LongSupplier> vcpuCpu, KvmStats kvm,
              Supplier<long[]> exits, LongSupplier requests) {
        this.queues = List.copyOf(queues);
        this.agents = List.copyOf(agents);
        this.vcpuCpu = List.copyOf(vcpuCpu);
        this.kvm = kvm;
        this.exits = exits;
        this.requests = requests;
        this.lastCpu = new long[agents.size() + vcpuCpu.size()];
        for (Queue q : queues) {
            latency.add(gauges(file, q.name(), CountersFile.TYPE_LATENCY, LatencyGauge.values()));
        }
        for (QueueAgent a : agents) {
            agentCpu.add(file.newCounter("agent." + a.roleName() + ".cpu_ns", CountersFile.TYPE_AGENT));
        }
        for (int i = 0; i < vcpuCpu.size(); i++) {
            vcpus.add(gauges(file, "vcpu" + i, CountersFile.TYPE_VCPU, VcpuGauge.values()));
        }
        userspaceExits = file.newCounter("vm.userspace_exits", CountersFile.TYPE_MACHINE);
    }

    /** One counter per constant, labelled {@code group.name}; this thread alone sets them (release stores). */
    private static AtomicCounter[] gauges(CountersFile file, String group, int typeId, Enum<?>[] names) {
        AtomicCounter[] g = new AtomicCounter[names.length];
        for (Enum<?> n : names) {
            g[n.ordinal()] = file.newCounter(group + "." + label(n), typeId);
        }
        return g;
    }

    private static String label(Enum<?> e) {
        return e.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static void set(AtomicCounter[] g, Enum<?> name, long value) {
        g[name.ordinal()].setRelease(value);
    }

    /** Counters this needs in the file, for sizing it. */
    static int counterCount(int queues, int agents, int vcpus) {
        return queues * LatencyGauge.values().length + agents + vcpus * VcpuGauge.values().length + 1;
    }

    /** Samples now (the sampler thread, and once more at exit so the report sees the end). */
    public synchronized void sample() {
        if (closed) {
            return;
        }
        for (int i = 0; i < queues.size(); i++) {
            ServiceTimes t = queues.get(i).times();
            t.sample();
            Histogram s = t.serviceInterval();
            Histogram b = t.backendInterval();
            AtomicCounter[] g = latency.get(i);
            set(g, LatencyGauge.SVC_COUNT, s.getTotalCount());
            set(g, LatencyGauge.SVC_MEAN_NS, s.getTotalCount() == 0 ? 0 : (long) s.getMean());
            set(g, LatencyGauge.SVC_P50_NS, s.getValueAtPercentile(50));
            set(g, LatencyGauge.SVC_P90_NS, s.getValueAtPercentile(90));
            set(g, LatencyGauge.SVC_P99_NS, s.getValueAtPercentile(99));
            set(g, LatencyGauge.SVC_P999_NS, s.getValueAtPercentile(99.9));
            set(g, LatencyGauge.SVC_MAX_NS, s.getMaxValue());
            set(g, LatencyGauge.BE_P50_NS, b.getValueAtPercentile(50));
            set(g, LatencyGauge.BE_P99_NS, b.getValueAtPercentile(99));
        }
        for (int i = 0; i < agents.size(); i++) {
            agentCpu.get(i).setRelease(cpuNs(agents.get(i).thread(), i));
        }
        KvmStats.Sample k = kvm == null ? null : kvm.sample();
        for (int i = 0; i < vcpuCpu.size(); i++) {
            AtomicCounter[] g = vcpus.get(i);
            if (k != null && i < k.vcpus().size()) {
                KvmStatsSnapshot v = k.vcpus().get(i);
                for (VcpuGauge name : VcpuGauge.values()) {
                    String n = label(name);
                    if (v.has(n)) {
                        set(g, name, v.get(n));
                    }
                }
            }
            long ns = vcpuCpu.get(i).getAsLong();
            lastCpu[agents.size() + i] = ns;
            set(g, VcpuGauge.CPU_NS, ns);
        }
        long sum = 0;
        for (long e : exits.get()) {
            sum += e;
        }
        userspaceExits.setRelease(sum);
    }

    /** The thread's CPU time, or its last known value once the thread has ended (the kernel forgets it). */
    private long cpuNs(Thread t, int slot) {
        if (t != null) {
            long ns = threads.getThreadCpuTime(t.threadId());
            if (ns > 0) {
                lastCpu[slot] = ns;
            }
        }
        return lastCpu[slot];
    }

    /** Service and back-end histograms of each queue, everything recorded up to the last sample. */
    public synchronized Map<String, Histogram[]> latencyTotals() {
        Map<String, Histogram[]> m = new LinkedHashMap<>();
        for (Queue q : queues) {
            m.put(q.name(), new Histogram[] {q.times().serviceTotal(), q.times().backendTotal()});
        }
        return m;
    }

    /** CPU time of agents and vCPUs at the last sample, with the requests served. */
    public synchronized Cpu cpu() {
        Map<String, Long> a = new LinkedHashMap<>();
        long idle = 0;
        for (int i = 0; i < agents.size(); i++) {
            a.put(agents.get(i).roleName(), lastCpu[i]);
            idle += agents.get(i).counter(AgentCounter.IDLE_POLL_NS);
        }
        List<Long> v = new ArrayList<>();
        for (int i = 0; i < vcpuCpu.size(); i++) {
            v.add(lastCpu[agents.size() + i]);
        }
        return new Cpu(a, v, idle, requests.getAsLong());
    }

    @Override
    public void close() {
        closed = true;
    }
}
