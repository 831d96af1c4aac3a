package io.vireo.vmm.cli;

import io.vireo.dataplane.stats.Counters;
import io.vireo.dataplane.virtio.device.blk.BlkCounter;
import io.vireo.vmm.kvm.KvmStatsSnapshot;
import io.vireo.vmm.machine.LiveStats;
import io.vireo.vmm.machine.MachineStats;
import io.vireo.vmm.machine.StatsPoint;

import java.util.List;
import java.util.Map;

/**
 * The {@code --stats} block on stderr: totals, then the guest-marked window. Every line starts with
 * {@code "vireo: stats: "}. KVM values are raw (the name carries the unit: {@code halt_wait_ns}).
 *
 * <pre>
 * vireo: stats: total over 412.345 ms (vCPU start to stop)
 * vireo: stats:   vm: pages_4k=1234 pages_2m=5                       non-zero values only
 * vireo: stats:   vcpu0: exits=620 mmio_exits=0 ... pf_taken=3        {@link #ALWAYS}, then the other non-zero
 * vireo: stats:   user-space exits: io=590 total=590                  non-zero kinds
 * vireo: stats:   dataplane disk0: requests=100 batches=40            every counter, as reported
 * vireo: stats: window between POST codes 0xb0 and 0xb1 over 12.345 ms (marks: 1 begin, 1 end)
 * vireo: stats:   ... the same lines, end minus begin ...
 * vireo: stats:   exits per disk0.requests: 3.20000 (exits on all vCPUs 320 / requests 100)
 * </pre>
 */
final class StatsReport {
    /** A device's requests, as its counters name them (exits per request divide by it). */
    private static final String REQUESTS = Counters.label(BlkCounter.REQUESTS);
    static final String PREFIX = "vireo: stats: ";
    /** vCPU stats printed even when zero, for a benchmark's eyes (io_exits stays 0 on kvm_pvm). */
    static final List<String> ALWAYS = List.of("exits", "mmio_exits", "io_exits", "irq_injections", "halt_exits",
        "insn_emulation", "signal_exits", "irq_exits");

    private StatsReport() {
    }

    static String text(MachineStats stats, StatsPoint total) {
        return text(stats, total, null);
    }

    /** With {@code live}: each queue's latency percentiles and the CPU per I/O after the totals. */
    static String text(MachineStats stats, StatsPoint total, LiveStats live) {
        StringBuilder sb = new StringBuilder();
        sb.append(PREFIX).append("total over ").append(millis(stats.wallNanos())).append(" (vCPU start to stop)\n");
        body(sb, total);
        if (live != null) {
            LiveSections.text(sb, live);
        }
        var window = stats.window();
        if (window.isEmpty()) {
            sb.append(PREFIX).append("window: none (no POST code 0xb0 followed by 0xb1 on port 0x80; marks: ")
                .append(stats.beginMarks()).append(" begin, ").append(stats.endMarks()).append(" end)\n");
            return sb.toString();
        }
        StatsPoint d = window.get().delta();
        sb.append(PREFIX).append("window between POST codes 0xb0 and 0xb1 over ").append(millis(d.nanos()))
            .append(" (marks: ").append(stats.beginMarks()).append(" begin, ").append(stats.endMarks())
            .append(" end)\n");
        body(sb, d);
        long exits = d.vcpuTotal("exits");
        d.dataplane().forEach((source, counters) -> {
            Long requests = counters.get(REQUESTS);
            if (requests != null && exits >= 0) {
                sb.append(PREFIX).append("  exits per ").append(source).append(".requests: ")
                    .append(requests == 0 ? "n/a" : String.format("%.5f", (double) exits / requests))
                    .append(" (exits on all vCPUs ").append(exits).append(" / requests ").append(requests)
                    .append(")\n");
            }
        });
        return sb.toString();
    }

    private static void body(StringBuilder sb, StatsPoint p) {
        if (p.kvm() != null) {
            line(sb, "vm: ", p.kvm().vm(), List.of());
            for (int i = 0; i < p.kvm().vcpus().size(); i++) {
                line(sb, "vcpu" + i + ": ", p.kvm().vcpus().get(i), ALWAYS);
            }
        }
        sb.append(PREFIX).append("  user-space exits:");
        long sum = 0;
        for (Map.Entry<String, Long> e : p.userspaceExits().entrySet()) {
            if (e.getValue() != 0) {
                sb.append(' ').append(e.getKey()).append('=').append(e.getValue());
                sum += e.getValue();
            }
        }
        sb.append(" total=").append(sum).append('\n');
        p.dataplane().forEach((source, counters) -> {
            sb.append(PREFIX).append("  dataplane ").append(source).append(':');
            counters.forEach((name, v) -> sb.append(' ').append(printable(name)).append('=').append(v));
            sb.append('\n');
        });
    }

    private static void line(StringBuilder sb, String label, KvmStatsSnapshot s, List<String> always) {
        sb.append(PREFIX).append("  ").append(label);
        int n = 0;
        for (String name : always) {
            if (s.has(name)) {
                sb.append(n++ == 0 ? "" : " ").append(name).append('=').append(s.get(name));
            }
        }
        long[] v = s.values();
        for (int i = 0; i < v.length; i++) {
            String name = s.schema().name(i);
            if (v[i] != 0 && !always.contains(name)) {
                sb.append(n++ == 0 ? "" : " ").append(name).append('=').append(v[i]);
            }
        }
        if (n == 0) {
            sb.append("(all zero)");
        }
        sb.append('\n');
    }

    /** A counter name as one word on one line: anything but visible ASCII becomes '_'. */
    static String printable(String name) {
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            sb.append(c > ' ' && c < 0x7f && c != '=' ? c : '_');
        }
        return sb.isEmpty() ? "_" : sb.toString();
    }

    private static String millis(long nanos) {
        return String.format("%.3f ms", nanos / 1e6);
    }
}
