package io.vireo.bench.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The results as a Markdown table and as the JSON document {@code results.json}. */
public final class Report {
    private Report() {
    }

    /** One row per job and VMM: medians over rounds; with QEMU, Vireo's row has the ratio of IOPS Vireo/QEMU. */
    public static String markdown(List<JobResult> results, boolean vsQemu) {
        StringBuilder b = new StringBuilder();
        b.append("| job | VMM |");
        for (Metric m : Metric.values()) {
            b.append(' ').append(m.label()).append(" |");
        }
        if (vsQemu) {
            b.append(" IOPS Vireo/QEMU |");
        }
        b.append('\n').append("|---|---|");
        b.append("---:|".repeat(Metric.values().length + (vsQemu ? 1 : 0))).append('\n');
        for (JobResult r : results) {
            for (String vmm : r.vmms()) {
                Measurement m = r.median(vmm);
                b.append("| ").append(r.job().name()).append(" | ").append(vmm).append(" |");
                for (Metric k : Metric.values()) {
                    b.append(' ').append(m == null ? "failed" : format(k, m.get(k))).append(" |");
                }
                if (vsQemu) {
                    double x = r.ratio(Metric.IOPS);
                    b.append(' ').append(vmm.equals("vireo") && !Double.isNaN(x)
                        ? String.format(Locale.ROOT, "%.2f", x) : "").append(" |");
                }
                b.append('\n');
            }
        }
        return b.toString();
    }

    static String format(Metric k, double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return switch (k) {
            case IOPS -> String.format(Locale.ROOT, "%,.0f", v);
            case LAT_MEAN_NS, LAT_P50_NS, LAT_P99_NS, LAT_P999_NS -> String.format(Locale.ROOT, "%.1f", v / 1000);
            case EXITS_PER_IO -> v < 0.01 ? String.format(Locale.ROOT, "%.5f", v)
                : String.format(Locale.ROOT, "%.2f", v);
            case VCPU_CPU_NS_PER_IO, AGENT_CPU_NS_PER_IO, CORE_RT_NS -> String.format(Locale.ROOT, "%,.0f", v);
        };
    }

    /** The JSON document: the run's settings and, per job, each VMM's rounds and medians, and the ratios. */
    public static Map<String, Object> json(Map<String, Object> settings, List<JobResult> results) {
        Map<String, Object> doc = new LinkedHashMap<>(settings);
        List<Object> jobs = new ArrayList<>();
        for (JobResult r : results) {
            Job j = r.job();
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("name", j.name());
            o.put("rw", j.rw());
            o.put("bs", j.blockBytes());
            o.put("qd", j.queueDepth());
            o.put("backend", j.backend().label());
            o.put("completion", j.irq() ? "irq" : "poll");
            Map<String, Object> vmms = new LinkedHashMap<>();
            for (String vmm : r.vmms()) {
                Map<String, Object> v = new LinkedHashMap<>();
                Measurement med = r.median(vmm);
                v.put("median", med == null ? null : metrics(med));
                List<Object> rounds = new ArrayList<>();
                r.rounds(vmm).forEach(m -> rounds.add(metrics(m)));
                v.put("rounds", rounds);
                if (!r.failures(vmm).isEmpty()) {
                    v.put("failures", List.copyOf(r.failures(vmm)));
                }
                vmms.put(vmm, v);
            }
            o.put("results", vmms);
            if (r.vmms().contains("qemu")) {
                Map<String, Object> ratio = new LinkedHashMap<>();
                for (Metric m : Metric.values()) {
                    ratio.put(m.key(), r.ratio(m));
                }
                o.put("ratio_vireo_qemu", ratio);
            }
            if (r.flameGraph() != null) {
                o.put("flame_graph", r.flameGraph());
            }
            jobs.add(o);
        }
        doc.put("jobs", jobs);
        return doc;
    }

    private static Map<String, Object> metrics(Measurement m) {
        Map<String, Object> o = new LinkedHashMap<>();
        for (Metric k : Metric.values()) {
            o.put(k.key(), m.get(k));
        }
        return o;
    }
}
