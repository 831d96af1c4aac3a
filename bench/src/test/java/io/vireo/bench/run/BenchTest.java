package io.vireo.bench.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code vireo bench --quick} on the null back end, without QEMU (kept short): the JSON has every job with Vireo's
 * rounds and medians, every figure positive; the table, the charts (SVG and PNG) are written.
 */
class BenchTest {
    private static final List<String> ARGS = List.of("--quick", "--jobs",
        "randread-4k-qd1-null-poll,randread-4k-qd32-null-poll,randread-4k-qd1-null-irq");

    @Test
    void shouldWriteAPositiveFigureForEveryMetricOfEveryJobWhenRunQuickOnTheNullBackEnd(@TempDir Path dir)
        throws Exception {
        Path kvm = Path.of("/dev/kvm");
        assumeTrue(Files.isReadable(kvm) && Files.isWritable(kvm), "skipped: no read/write " + kvm);
        Path root = Path.of(System.getProperty("vireo.root", "..")).toAbsolutePath().normalize();
        List<String> args = new java.util.ArrayList<>(ARGS);
        args.addAll(List.of("--out", dir.toString()));
        BenchOptions options = BenchOptions.parse(args, "test");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new Bench(options, root, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), false).run(args);
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, stderr);

        Map<String, Object> doc = Json.object(Files.readString(dir.resolve("results.json")));
        assertEquals("vireo bench", doc.get("tool"));
        assertEquals(List.of("vireo"), doc.get("vmms"));
        assertEquals(1.0, doc.get("rounds"));
        List<?> jobs = (List<?>) doc.get("jobs");
        assertEquals(3, jobs.size());
        for (Object o : jobs) {
            Map<?, ?> job = (Map<?, ?>) o;
            String name = (String) job.get("name");
            assertTrue(name.matches("randread-4k-qd(1|32)-null-(poll|irq)"), name);
            assertEquals("null", job.get("backend"));
            assertEquals(4096.0, job.get("bs"));
            Map<?, ?> vireo = (Map<?, ?>) ((Map<?, ?>) job.get("results")).get("vireo");
            List<?> rounds = (List<?>) vireo.get("rounds");
            assertEquals(1, rounds.size(), name);
            for (Map<?, ?> figures : List.of((Map<?, ?>) vireo.get("median"), (Map<?, ?>) rounds.get(0))) {
                // The core round trip needs two CPUs to pin to; with fewer it is left out.
                boolean twoCpus = CoreRoundTrip.firstTwoCpus() != null;
                assertEquals(Metric.values().length - (twoCpus ? 0 : 1), figures.size(), name + ": " + figures);
                for (Metric m : Metric.values()) {
                    if (m == Metric.CORE_RT_NS && !twoCpus) {
                        continue;
                    }
                    Object v = figures.get(m.key());
                    assertTrue(v instanceof Double d && d > 0, name + " " + m.key() + " = " + v);
                }
            }
        }
        String table = out.toString(StandardCharsets.UTF_8);
        assertTrue(table.startsWith("| job | VMM | IOPS |"), table);
        assertTrue(table.contains("| randread-4k-qd32-null-poll | vireo |"), table);
        for (String f : List.of("table.md", "throughput.svg", "throughput.png", "latency.svg", "latency.png")) {
            assertTrue(Files.size(dir.resolve(f)) > 0, f);
        }
        assertTrue(Files.readString(dir.resolve("latency.svg")).contains("<svg"));
    }
}
