package io.vireo.bench.run;

/** The figures of one run, as the table, the JSON ({@link #key}) and the charts name them. */
public enum Metric {
    IOPS("iops", "IOPS", true),
    LAT_MEAN_NS("lat_mean_ns", "mean µs", false),
    LAT_P50_NS("lat_p50_ns", "p50 µs", false),
    LAT_P99_NS("lat_p99_ns", "p99 µs", false),
    LAT_P999_NS("lat_p999_ns", "p99.9 µs", false),
    /** KVM's {@code exits}, summed over vCPUs, over the timed phase, per completed request. */
    EXITS_PER_IO("exits_per_io", "exits/IO", false),
    /** Host CPU time of the vCPU threads over the timed phase, per request. */
    VCPU_CPU_NS_PER_IO("vcpu_cpu_ns_per_io", "vCPU ns/IO", false),
    /** Host CPU time of the threads serving the queues (Vireo's agents, QEMU's iothread), per request. */
    AGENT_CPU_NS_PER_IO("agent_cpu_ns_per_io", "agent ns/IO", false),
    /** The host's core-to-core cache-line round trip just before the run ({@link CoreRoundTrip}): not the VMM's. */
    CORE_RT_NS("core_rt_ns", "core RT ns", false);

    private final String key;
    private final String label;
    private final boolean higherIsBetter;

    Metric(String key, String label, boolean higherIsBetter) {
        this.key = key;
        this.label = label;
        this.higherIsBetter = higherIsBetter;
    }

    public String key() {
        return key;
    }

    public String label() {
        return label;
    }

    public boolean higherIsBetter() {
        return higherIsBetter;
    }
}
