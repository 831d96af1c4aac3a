package io.vireo.bench.run;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The charts beside the table (XChart): throughput per job and latency percentiles per job, each VMM's bars side by
 * side, as SVG and PNG. Log scales: the jobs span from the host's disk to the data plane alone.
 */
public final class Charts {
    private static final Metric[] LATENCIES = {Metric.LAT_P50_NS, Metric.LAT_P99_NS, Metric.LAT_P999_NS};

    private Charts() {
    }

    /** Writes {@code throughput.svg/.png} and {@code latency.svg/.png} into {@code dir}; returns the file names. */
    public static List<String> write(Path dir, List<JobResult> results, String subtitle) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<String> vmms = results.isEmpty() ? List.of() : results.get(0).vmms();
        // A log axis has no place for a missing figure: a job that failed on some VMM is left out of the charts.
        results = results.stream().filter(r -> vmms.stream().allMatch(v -> r.median(v) != null)).toList();
        List<String> jobs = results.stream().map(r -> r.job().name()).toList();

        CategoryChart tput = chart("Throughput, IOPS (medians) — " + subtitle, "IOPS", jobs.size());
        for (String vmm : vmms) {
            add(tput, vmm, jobs, values(results, vmm, Metric.IOPS, 1));
        }
        CategoryChart lat = chart("Latency percentiles, µs (medians) — " + subtitle, "µs", jobs.size());
        for (String vmm : vmms) {
            for (Metric m : LATENCIES) {
                add(lat, vmm + " " + m.label().replace(" µs", ""), jobs, values(results, vmm, m, 1000));
            }
        }
        List<String> files = new ArrayList<>();
        files.addAll(save(tput, dir, "throughput"));
        files.addAll(save(lat, dir, "latency"));
        return files;
    }

    /** Adds a series; bars on a log axis start at the decade below the smallest figure (XChart starts them at 0). */
    private static void add(CategoryChart c, String name, List<String> jobs, List<Double> values) {
        if (jobs.isEmpty()) {
            return;
        }
        c.addSeries(name, jobs, values);
        double min = values.stream().mapToDouble(Double::doubleValue).min().orElse(1);
        double floor = Math.pow(10, Math.floor(Math.log10(min)));
        Double current = c.getStyler().getYAxisMin();
        c.getStyler().setYAxisMin(current == null ? floor : Math.min(current, floor));
    }

    private static CategoryChart chart(String title, String yTitle, int jobs) {
        CategoryChart c = new CategoryChartBuilder().width(Math.max(900, 110 * jobs)).height(620).title(title)
            .xAxisTitle("job").yAxisTitle(yTitle).build();
        CategoryStyler st = c.getStyler();
        st.setLegendPosition(Styler.LegendPosition.OutsideE);
        st.setChartTitleFont(st.getChartTitleFont().deriveFont(14f));
        st.setYAxisLogarithmic(true);
        st.setXAxisLabelRotation(40);
        st.setAvailableSpaceFill(0.8);
        st.setOverlapped(false);
        return c;
    }

    /** Medians divided by {@code unit}; a figure of 0 (no exit at all) cannot be drawn on a log axis: 1e-9. */
    private static List<Double> values(List<JobResult> results, String vmm, Metric m, double unit) {
        List<Double> v = new ArrayList<>();
        for (JobResult r : results) {
            double x = r.median(vmm).get(m) / unit;
            v.add(x > 0 ? x : 1e-9);
        }
        return v;
    }

    private static List<String> save(CategoryChart c, Path dir, String name) throws IOException {
        String base = dir.resolve(name).toString();
        BitmapEncoder.saveBitmap(c, base, BitmapEncoder.BitmapFormat.PNG);
        VectorGraphicsEncoder.saveVectorGraphic(c, base, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        return List.of(name + ".svg", name + ".png");
    }
}
