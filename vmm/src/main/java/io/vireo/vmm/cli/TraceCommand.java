package io.vireo.vmm.cli;

import io.vireo.dataplane.stats.TraceLayout;
import io.vireo.dataplane.stats.TraceReader;

import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import static io.vireo.vmm.cli.Sizes.usage;

/**
 * {@code vireo trace FILE [--csv OUT|-]}: what a {@code --trace} journal holds: requests by op, by disk and queue,
 * by size and status, service-time percentiles by op, the hottest sectors; or every record as CSV.
 */
@Command(name = "trace", addMethodSubcommands = false, sortOptions = false,
    description = "What a --trace journal holds: requests by op, queue, status and size, service-time percentiles "
        + "by op, the hottest sectors; or every record as CSV.")
final class TraceCommand implements Callable<Integer> {
    private static final int MAX_SIZES = 12;

    @Parameters(index = "0", paramLabel = "FILE", description = "a journal written by vireo run --trace FILE")
    Path file;

    @Option(names = "--csv", paramLabel = "OUT|-", description = "write every record as CSV to OUT (- for stdout) "
        + "instead of the summary: time_ns,disk,queue,op,sector,length,status,service_ns")
    String csv;

    @Option(names = "--top", paramLabel = "N", converter = Converters.WholeNumber.class,
        description = "hottest sectors to list (default 10)")
    int top = 10;

    @Mixin
    HelpOption help;

    @ParentCommand
    VireoCommand parent;

    @Override
    public Integer call() {
        PrintStream out = parent.out();
        PrintStream err = parent.err();
        if (!Files.isRegularFile(file)) {
            throw usage("trace: " + file + ": no such file");
        }
        if (top < 0) {
            throw usage("trace: --top must be >= 0 (got " + top + ")");
        }
        TraceReader reader;
        try {
            reader = TraceReader.open(file);
        } catch (IllegalArgumentException e) {
            throw usage("trace: " + e.getMessage());
        }
        try (reader) {
            if (csv != null) {
                return csv(reader, csv, out, err);
            }
            out.print(summary(file, reader, top));
            return 0;
        }
    }

    private static int csv(TraceReader reader, String target, PrintStream out, PrintStream err) {
        try (Writer w = target.equals("-") ? new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8))
            : Files.newBufferedWriter(Path.of(target))) {
            w.write("time_ns,disk,queue,op,sector,length,status,service_ns\n");
            StringBuilder sb = new StringBuilder(96);
            IOException[] failed = new IOException[1];
            reader.forEach(r -> {
                if (failed[0] != null) {
                    return;
                }
                sb.setLength(0);
                sb.append(r.timeNs - reader.startNanos()).append(',').append(r.device).append(',').append(r.queue)
                    .append(',').append(TraceLayout.opName(r.op)).append(',').append(r.sector).append(',')
                    .append(r.lengthBytes).append(',').append(TraceLayout.statusName(r.status)).append(',')
                    .append(r.serviceNs).append('\n');
                try {
                    w.write(sb.toString());
                } catch (IOException e) {
                    failed[0] = e;
                }
            });
            if (failed[0] != null) {
                throw failed[0];
            }
        } catch (IOException e) {
            err.println("vireo: trace: --csv " + target + ": " + e.getMessage());
            return 1;
        }
        return 0;
    }

    static String summary(Path file, TraceReader reader, int top) {
        Map<String, Long> ops = new TreeMap<>();
        Map<String, Histogram> latency = new TreeMap<>();
        Map<String, Long> queues = new TreeMap<>();
        Map<Integer, Long> sizes = new TreeMap<>();
        Map<String, Long> statuses = new TreeMap<>();
        Map<String, Long> sectors = new HashMap<>();
        long[] n = new long[1];
        reader.forEach(r -> {
            n[0]++;
            String op = TraceLayout.opName(r.op);
            ops.merge(op, 1L, Long::sum);
            latency.computeIfAbsent(op, k -> new Histogram(3)).recordValue(Math.max(0, r.serviceNs));
            queues.merge("disk" + r.device + ".q" + r.queue, 1L, Long::sum);
            sizes.merge(r.lengthBytes, 1L, Long::sum);
            statuses.merge(TraceLayout.statusName(r.status), 1L, Long::sum);
            if (r.op == 0 || r.op == 1 || r.op == 11 || r.op == 13) {
                sectors.merge("disk" + r.device + ":" + r.sector, 1L, Long::sum);
            }
        });
        StringBuilder sb = new StringBuilder();
        sb.append("trace ").append(file).append(": ").append(reader.kept()).append(" requests recorded");
        if (reader.lost() == 0) {
            sb.append(" (all of them)\n");
        } else if (reader.wraps()) {
            sb.append(" of ").append(reader.claimed()).append(": full, wrapped; the oldest ").append(reader.lost())
                .append(" were overwritten\n");
        } else {
            sb.append(" of ").append(reader.claimed()).append(": full, stopped; the newest ").append(reader.lost())
                .append(" were not recorded\n");
        }
        sb.append("ops:");
        ops.forEach((op, c) -> sb.append(' ').append(op).append('=').append(c));
        sb.append("\nqueues:");
        queues.forEach((q, c) -> sb.append(' ').append(q).append('=').append(c));
        sb.append("\nstatus:");
        statuses.forEach((s, c) -> sb.append(' ').append(s).append('=').append(c));
        long errors = n[0] - statuses.getOrDefault("ok", 0L);
        sb.append(" (errors: ").append(errors).append(")\nsizes (bytes):");
        List<Map.Entry<Integer, Long>> bySize = new ArrayList<>(sizes.entrySet());
        bySize.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
        for (int i = 0; i < Math.min(MAX_SIZES, bySize.size()); i++) {
            sb.append(' ').append(bySize.get(i).getKey()).append('=').append(bySize.get(i).getValue());
        }
        if (bySize.size() > MAX_SIZES) {
            sb.append(" (+").append(bySize.size() - MAX_SIZES).append(" other sizes)");
        }
        sb.append("\nservice time by op (ns, pop to used publication):\n");
        latency.forEach((op, h) -> sb.append(String.format(Locale.ROOT,
            "  %-12s n=%d mean=%.0f p50=%d p90=%d p99=%d p99.9=%d max=%d%n", op, h.getTotalCount(), h.getMean(),
            h.getValueAtPercentile(50), h.getValueAtPercentile(90), h.getValueAtPercentile(99),
            h.getValueAtPercentile(99.9), h.getMaxValue())));
        if (top > 0 && !sectors.isEmpty()) {
            List<Map.Entry<String, Long>> hot = new ArrayList<>(sectors.entrySet());
            hot.sort((a, b) -> b.getValue().compareTo(a.getValue()) != 0 ? b.getValue().compareTo(a.getValue())
                : a.getKey().compareTo(b.getKey()));
            sb.append("hottest sectors (disk:sector=requests):");
            for (int i = 0; i < Math.min(top, hot.size()); i++) {
                sb.append(' ').append(hot.get(i).getKey()).append('=').append(hot.get(i).getValue());
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
