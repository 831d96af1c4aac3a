package io.vireo.bench.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every round of one job, per VMM (in the order the VMMs ran), and its flame graph if one was made. */
public final class JobResult {
    private final Job job;
    private final Map<String, List<Measurement>> rounds = new LinkedHashMap<>();
    private final Map<String, List<String>> failures = new LinkedHashMap<>();
    private String flameGraph;

    public JobResult(Job job, List<String> vmms) {
        this.job = job;
        for (String v : vmms) {
            rounds.put(v, new ArrayList<>());
            failures.put(v, new ArrayList<>());
        }
    }

    public Job job() {
        return job;
    }

    public void add(String vmm, Measurement m) {
        rounds.get(vmm).add(m);
    }

    public void failed(String vmm, String why) {
        failures.get(vmm).add(why);
    }

    public void flameGraph(String relativePath) {
        this.flameGraph = relativePath;
    }

    public String flameGraph() {
        return flameGraph;
    }

    public List<String> vmms() {
        return List.copyOf(rounds.keySet());
    }

    public List<Measurement> rounds(String vmm) {
        return rounds.get(vmm);
    }

    public List<String> failures(String vmm) {
        return failures.get(vmm);
    }

    /** The median over rounds, or null if every round of this VMM failed. */
    public Measurement median(String vmm) {
        List<Measurement> r = rounds.get(vmm);
        return r == null || r.isEmpty() ? null : Measurement.median(r);
    }

    /** Vireo's median over QEMU's for {@code m}, or NaN without both. */
    public double ratio(Metric m) {
        Measurement v = median("vireo");
        Measurement q = median("qemu");
        if (v == null || q == null || !(q.get(m) > 0)) {
            return Double.NaN;
        }
        return v.get(m) / q.get(m);
    }
}
