package io.vireo.vmm.cli;

import io.vireo.vmm.machine.LiveStats;

import org.HdrHistogram.Histogram;

import java.util.Locale;
import java.util.Map;

/**
 * The parts of {@code --stats} and {@code --stats-json} that come from the sampled counters: each queue's service
 * time percentiles (HdrHistogram, the whole run) and the CPU time of the agents and vCPUs per request.
 *
 * <pre>
 * vireo: stats:   latency disk0.q0: service n=N mean=.. p50=.. p90=.. p99=.. p99.9=.. max=.. ns; backend p50=.. ..
 * vireo: stats:   cpu: agents 812.1 ms, vcpus 990.3 ms, requests 600000; per I/O: agents 1.353 us, vcpus 1.650 us;
 *                 agents polling without work 35.2 %
 * JSON: "latency": {"disk0.q0": {"service": {"count", "mean_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns"},
 *                                "backend": {...}}},
 *       "cpu": {"agents_ns": {name: ns}, "vcpus_ns": [ns], "requests": N, "agent_us_per_io": x|null,
 *               "vcpu_us_per_io": x|null, "idle_poll_ns": N, "idle_poll_share": x|null}
 * </pre>
 */
final class LiveSections {
    private LiveSections() {
    }

    static void text(StringBuilder sb, LiveStats live) {
        for (Map.Entry<String, Histogram[]> e : live.latencyTotals().entrySet()) {
            Histogram s = e.getValue()[0];
            Histogram b = e.getValue()[1];
            sb.append(StatsReport.PREFIX).append("  latency ").append(e.getKey()).append(": service n=")
                .append(s.getTotalCount());
            if (s.getTotalCount() > 0) {
                sb.append(" mean=").append((long) s.getMean()).append(" p50=").append(s.getValueAtPercentile(50))
                    .append(" p90=").append(s.getValueAtPercentile(90)).append(" p99=")
                    .append(s.getValueAtPercentile(99)).append(" p99.9=").append(s.getValueAtPercentile(99.9))
                    .append(" max=").append(s.getMaxValue()).append(" ns");
            }
            sb.append("; backend n=").append(b.getTotalCount());
            if (b.getTotalCount() > 0) {
                sb.append(" p50=").append(b.getValueAtPercentile(50)).append(" p99=")
                    .append(b.getValueAtPercentile(99)).append(" max=").append(b.getMaxValue()).append(" ns");
            }
            sb.append('\n');
        }
        LiveStats.Cpu c = live.cpu();
        sb.append(StatsReport.PREFIX).append("  cpu: agents ").append(ms(c.agentsTotalNs())).append(", vcpus ")
            .append(ms(c.vcpusTotalNs())).append(", requests ").append(c.requests());
        if (c.requests() > 0) {
            sb.append("; per I/O: agents ").append(us(c.agentsTotalNs(), c.requests())).append(", vcpus ")
                .append(us(c.vcpusTotalNs(), c.requests()));
        }
        if (c.agentsTotalNs() > 0) {
            sb.append("; agents polling without work ").append(String.format(Locale.ROOT, "%.1f %%",
                100.0 * Math.min(c.idlePollNs(), c.agentsTotalNs()) / c.agentsTotalNs()));
        }
        sb.append('\n');
    }

    static void json(StringBuilder sb, LiveStats live) {
        sb.append(",\n\"latency\":{");
        String sep = "";
        for (Map.Entry<String, Histogram[]> e : live.latencyTotals().entrySet()) {
            sb.append(sep);
            StatsJson.string(sb, e.getKey());
            sb.append(":{\"service\":");
            histogram(sb, e.getValue()[0]);
            sb.append(",\"backend\":");
            histogram(sb, e.getValue()[1]);
            sb.append('}');
            sep = ",";
        }
        LiveStats.Cpu c = live.cpu();
        sb.append("},\n\"cpu\":{\"agents_ns\":{");
        sep = "";
        for (Map.Entry<String, Long> e : c.agentNs().entrySet()) {
            sb.append(sep);
            StatsJson.string(sb, e.getKey());
            sb.append(':').append(e.getValue());
            sep = ",";
        }
        sb.append("},\"vcpus_ns\":").append(c.vcpuNs()).append(",\"requests\":").append(c.requests())
            .append(",\"agent_us_per_io\":").append(perIo(c.agentsTotalNs(), c.requests()))
            .append(",\"vcpu_us_per_io\":").append(perIo(c.vcpusTotalNs(), c.requests()))
            .append(",\"idle_poll_ns\":").append(c.idlePollNs())
            .append(",\"idle_poll_share\":").append(c.agentsTotalNs() == 0 ? "null"
                : Double.toString(Math.min(1.0, (double) c.idlePollNs() / c.agentsTotalNs())))
            .append('}');
    }

    private static void histogram(StringBuilder sb, Histogram h) {
        sb.append("{\"count\":").append(h.getTotalCount());
        if (h.getTotalCount() > 0) {
            sb.append(",\"mean_ns\":").append((long) h.getMean()).append(",\"p50_ns\":")
                .append(h.getValueAtPercentile(50)).append(",\"p90_ns\":").append(h.getValueAtPercentile(90))
                .append(",\"p99_ns\":").append(h.getValueAtPercentile(99)).append(",\"p999_ns\":")
                .append(h.getValueAtPercentile(99.9)).append(",\"max_ns\":").append(h.getMaxValue());
        }
        sb.append('}');
    }

    private static String perIo(long ns, long requests) {
        return requests == 0 ? "null" : Double.toString(ns / 1000.0 / requests);
    }

    private static String ms(long ns) {
        return String.format(Locale.ROOT, "%.1f ms", ns / 1e6);
    }

    private static String us(long ns, long requests) {
        return String.format(Locale.ROOT, "%.3f us", ns / 1000.0 / requests);
    }
}
