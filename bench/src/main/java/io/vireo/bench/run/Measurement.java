package io.vireo.bench.run;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The figures of one run of one job on one VMM, from the guest's result line (rate, latency), KVM's counters (exits)
 * and {@code /proc} (CPU time by thread role).
 */
public record Measurement(Map<Metric, Double> values) {
    public Measurement {
        values = new EnumMap<>(values);
    }

    public double get(Metric m) {
        Double v = values.get(m);
        return v == null ? Double.NaN : v;
    }

    /**
     * From the guest's result JSON ({@code iops}, {@code ios}, {@code lat_*_ns}), the vCPUs' KVM exits over the timed
     * phase, and the CPU time of the VMM's threads over it.
     */
    public static Measurement of(Map<String, Object> guest, double exits, ThreadCpu cpu) {
        double ios = number(guest, "ios");
        if (!(ios > 0)) {
            throw new IllegalStateException("the guest completed no request in its timed phase: " + guest);
        }
        Map<Metric, Double> v = new EnumMap<>(Metric.class);
        v.put(Metric.IOPS, number(guest, "iops"));
        v.put(Metric.LAT_MEAN_NS, number(guest, "lat_mean_ns"));
        v.put(Metric.LAT_P50_NS, number(guest, "lat_p50_ns"));
        v.put(Metric.LAT_P99_NS, number(guest, "lat_p99_ns"));
        v.put(Metric.LAT_P999_NS, number(guest, "lat_p999_ns"));
        v.put(Metric.EXITS_PER_IO, exits / ios);
        v.put(Metric.VCPU_CPU_NS_PER_IO, cpu.vcpuNs() / ios);
        v.put(Metric.AGENT_CPU_NS_PER_IO, cpu.agentNs() / ios);
        return new Measurement(v);
    }

    /** This measurement with {@code m} set to {@code value}. */
    public Measurement with(Metric m, double value) {
        Map<Metric, Double> v = new EnumMap<>(values);
        v.put(m, value);
        return new Measurement(v);
    }

    private static double number(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Double d)) {
            throw new IllegalStateException("the guest's result has no number '" + key + "': " + m);
        }
        return d;
    }

    /** Per metric, the median over rounds (the mean of the middle two for an even count). */
    public static Measurement median(List<Measurement> rounds) {
        Map<Metric, Double> v = new EnumMap<>(Metric.class);
        for (Metric m : Metric.values()) {
            double[] xs = rounds.stream().mapToDouble(r -> r.get(m)).filter(x -> !Double.isNaN(x)).sorted().toArray();
            if (xs.length > 0) {
                int h = xs.length / 2;
                v.put(m, xs.length % 2 == 1 ? xs[h] : (xs[h - 1] + xs[h]) / 2);
            }
        }
        return new Measurement(v);
    }
}
