package io.vireo.vmm.cli;

import io.vireo.dataplane.stats.Counters;
import io.vireo.dataplane.virtio.device.blk.BlkCounter;
import io.vireo.vmm.kvm.KvmStatsSnapshot;
import io.vireo.vmm.machine.LiveStats;
import io.vireo.vmm.machine.MachineStats;
import io.vireo.vmm.machine.StatsPoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static io.vireo.vmm.cli.Sizes.usage;

/**
 * {@code --stats-json FILE}: one JSON object, written at exit to a temporary file in FILE's directory and
 * renamed over FILE, so a reader sees the old file or the whole new one.
 *
 * <pre>
 * {"wall_ns": N,                                   vCPU start to machine stop
 *  "vm": {"remote_tlb_flush": N, ...},             every KVM VM statistic (histograms: sample count)
 *  "vcpus": [{"exits": N, ...}, ...],              every KVM statistic of each vCPU, by index
 *  "userspace_exits": {"io": N, ..., "total": N},  exits to Vireo by kind, summed over vCPUs
 *  "dataplane": {"disk0": {"requests": N, ...}},   each registered source's counters
 *  "latency": {...}, "cpu": {...},                 see {@link LiveSections}
 *  "marks": {"begin": N, "end": N},                POST codes 0xb0 / 0xb1 seen
 *  "window": null | {"wall_ns": N, "vm": {..}, "vcpus": [..], "userspace_exits": {..}, "dataplane": {..},
 *                    "exits_per_request": {"disk0": X or null}}}   end minus begin of the latest pair
 * </pre>
 */
final class StatsJson {
    /** A device's requests, as its counters name them (exits per request divide by it). */
    private static final String REQUESTS = Counters.label(BlkCounter.REQUESTS);
    private StatsJson() {
    }

    /** At startup: FILE is not a directory and its directory exists and takes a new file. */
    static void checkWritable(Path file) {
        checkWritable("--stats-json", file);
    }

    /** At startup: {@code flag}'s FILE is not a directory and its directory exists and takes a new file. */
    static void checkWritable(String flag, Path file) {
        if (Files.isDirectory(file)) {
            throw usage(flag + " " + file + ": is a directory");
        }
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw usage(flag + " " + file + ": directory " + dir + " does not exist");
        }
        try {
            Files.delete(Files.createTempFile(dir, ".vireo-stats-check", ".tmp"));
        } catch (IOException e) {
            throw usage(flag + " " + file + ": cannot create a file in " + dir + " (" + e + ")");
        }
    }

    static String json(MachineStats stats, StatsPoint total) {
        return json(stats, total, null);
    }

    /** With {@code live}: "latency" (per queue) and "cpu" after the totals. */
    static String json(MachineStats stats, StatsPoint total, LiveStats live) {
        StringBuilder sb = new StringBuilder("{\"wall_ns\":").append(stats.wallNanos());
        body(sb, total);
        if (live != null) {
            LiveSections.json(sb, live);
        }
        sb.append(",\n\"marks\":{\"begin\":").append(stats.beginMarks()).append(",\"end\":").append(stats.endMarks())
            .append('}');
        sb.append(",\n\"window\":");
        var window = stats.window();
        if (window.isEmpty()) {
            sb.append("null");
        } else {
            StatsPoint d = window.get().delta();
            sb.append("{\"wall_ns\":").append(d.nanos());
            body(sb, d);
            sb.append(",\n \"exits_per_request\":{");
            long exits = d.vcpuTotal("exits");
            String sep = "";
            for (Map.Entry<String, Map<String, Long>> e : d.dataplane().entrySet()) {
                Long requests = e.getValue().get(REQUESTS);
                if (requests != null) {
                    sb.append(sep);
                    string(sb, e.getKey());
                    sb.append(':').append(requests == 0 || exits < 0 ? "null" : Double.toString((double) exits
                        / requests));
                    sep = ",";
                }
            }
            sb.append("}}");
        }
        return sb.append("}\n").toString();
    }

    private static void body(StringBuilder sb, StatsPoint p) {
        sb.append(",\n\"vm\":");
        if (p.kvm() == null) {
            sb.append("{}");
        } else {
            snapshot(sb, p.kvm().vm());
        }
        sb.append(",\n\"vcpus\":[");
        if (p.kvm() != null) {
            for (int i = 0; i < p.kvm().vcpus().size(); i++) {
                sb.append(i == 0 ? "" : ",\n ");
                snapshot(sb, p.kvm().vcpus().get(i));
            }
        }
        sb.append("],\n\"userspace_exits\":{");
        long sum = 0;
        for (Map.Entry<String, Long> e : p.userspaceExits().entrySet()) {
            string(sb, e.getKey());
            sb.append(':').append(e.getValue()).append(',');
            sum += e.getValue();
        }
        sb.append("\"total\":").append(sum).append("},\n\"dataplane\":{");
        String sep = "";
        for (Map.Entry<String, Map<String, Long>> e : p.dataplane().entrySet()) {
            sb.append(sep);
            string(sb, e.getKey());
            sb.append(':');
            counters(sb, e.getValue());
            sep = ",";
        }
        sb.append('}');
    }

    private static void snapshot(StringBuilder sb, KvmStatsSnapshot s) {
        counters(sb, s.asMap());
    }

    private static void counters(StringBuilder sb, Map<String, Long> m) {
        sb.append('{');
        String sep = "";
        for (Map.Entry<String, Long> e : m.entrySet()) {
            sb.append(sep);
            string(sb, e.getKey());
            sb.append(':').append(e.getValue());
            sep = ",";
        }
        sb.append('}');
    }

    /** A JSON string (RFC 8259 section 7): quote, backslash and control characters escaped. */
    static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /** Writes {@code text} to {@code file} atomically (temporary file in the same directory, then rename). */
    static void write(Path file, String text) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
