package io.vireo.vmm.cli;

import io.vireo.dataplane.stats.CountersFile;
import io.vireo.vmm.machine.RunDirectory;

import org.agrona.concurrent.status.CountersReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import static io.vireo.vmm.cli.Sizes.usage;

/**
 * {@code vireo stat}: a running VM's live counters, one screen refreshed every interval, like {@code iostat -x}. It
 * maps the VM's counters file read-only and reads it with plain loads: no system call into the VM, no lock, works
 * for any VM of the same user. Rates are differences over the interval; latency percentiles are the VM's own, over
 * its last sampling period.
 */
@Command(name = "stat", addMethodSubcommands = false, sortOptions = false,
    description = "A running VM's live counters, one screen per interval (like iostat -x), read from its counters "
        + "file without a system call into the VM. Per disk queue: IOPS, MB/s, service-time percentiles inside the "
        + "VMM (pop to used publication), queue depth (IOPS x mean service time), batches/s, interrupts/s. Per agent: "
        + "CPU %%, share of it polling without work, polls that found work/s, kicks/s, sleeps/s. Per vCPU: VM exits/s "
        + "by kind, CPU %%.")
final class StatCommand implements Callable<Integer> {
    private static final String CLEAR = "\033[H\033[2J";

    @Parameters(index = "0", arity = "0..1", paramLabel = "ID|PID",
        description = "the VM (its run directory's name, the VMM's pid); default: the only one running")
    String id;

    @Option(names = "--interval", paramLabel = "S", description = "seconds between refreshes (default 1, decimals "
        + "allowed)")
    double interval = 1;

    @Option(names = "--count", paramLabel = "N", converter = Converters.WholeNumber.class,
        description = "stop after N refreshes (default: until interrupted or the VM exits)")
    int count;

    @Option(names = "--json", description = "one JSON object per refresh, one per line, instead of the screen")
    boolean json;

    @Option(names = "--run-dir", paramLabel = "DIR", description = "where the VMs' run directories are (as given to "
        + "vireo run --run-dir)")
    Path root;

    @Mixin
    HelpOption help;

    @ParentCommand
    VireoCommand parent;

    @Override
    public Integer call() throws InterruptedException {
        return run(parent.out(), parent.err());
    }

    int run(PrintStream out, PrintStream err) throws InterruptedException {
        if (!(interval >= 0.01 && interval <= 3600)) {
            throw usage("stat: --interval must be between 0.01 and 3600 seconds (got " + interval + ")");
        }
        if (count < 0) {
            throw usage("stat: --count must be >= 1 (got " + count + ")");
        }
        if (id != null && !id.matches("[0-9]{1,10}")) {
            throw usage("stat: a VM is named by its id (the VMM's pid): got '" + id + "'");
        }
        Path base = root != null ? root : RunDirectory.defaultRoot();
        Path dir = find(base, id);
        long pid = Long.parseLong(dir.getFileName().toString());
        CountersFile file;
        try {
            file = CountersFile.openReadOnly(dir.resolve(RunDirectory.COUNTERS));
        } catch (IllegalStateException e) {
            err.println("vireo: stat: VM " + pid + ": " + e.getMessage());
            return 1;
        }
        boolean tty = System.console() != null && System.console().isTerminal();
        long intervalNs = (long) (interval * 1e9);
        Map<String, Long> before = read(file.reader());
        long t0 = System.nanoTime();
        for (long n = 0; count == 0 || n < count; n++) {
            Thread.sleep(Math.max(1, (intervalNs - (System.nanoTime() - t0)) / 1_000_000));
            if (!alive(pid)) {
                err.println("vireo: stat: VM " + pid + " is gone");
                return 1;
            }
            Map<String, Long> now = read(file.reader());
            long t1 = System.nanoTime();
            Screen s = new Screen(before, now, (t1 - t0) / 1e9);
            if (json) {
                out.println(s.json(pid));
            } else {
                out.print((tty ? CLEAR : "") + s.text(pid, interval));
            }
            out.flush();
            before = now;
            t0 = t1;
        }
        return 0;
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The VM's directory: the one named, or the only live one under {@code root}. */
    private static Path find(Path root, String id) {
        if (id != null) {
            Path d = root.resolve(id);
            if (!Files.isDirectory(d) || !alive(Long.parseLong(id))) {
                throw new io.vireo.vmm.VireoException(1, "stat: no running VM " + id + " under " + root);
            }
            return d;
        }
        List<Path> live = new ArrayList<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> s = Files.list(root)) {
                s.filter(p -> p.getFileName().toString().matches("[0-9]{1,10}"))
                    .filter(p -> alive(Long.parseLong(p.getFileName().toString())))
                    .filter(p -> Files.exists(p.resolve(RunDirectory.COUNTERS)))
                    .sorted().forEach(live::add);
            } catch (IOException e) {
                throw new io.vireo.vmm.VireoException(1, "stat: cannot list " + root + ": " + e.getMessage());
            }
        }
        if (live.isEmpty()) {
            throw new io.vireo.vmm.VireoException(1, "stat: no running VM under " + root);
        }
        if (live.size() > 1) {
            throw usage("stat: " + live.size() + " VMs run under " + root + " (ids " + live.stream()
                .map(p -> p.getFileName().toString()).toList() + "): name one");
        }
        return live.get(0);
    }

    /** Every counter by label, one acquire load each. */
    static Map<String, Long> read(CountersReader r) {
        Map<String, Long> m = new LinkedHashMap<>();
        r.forEach((id, label) -> m.put(label, r.getCounterValue(id)));
        return m;
    }

    /** One refresh: rates between two readings. */
    static final class Screen {
        private final Map<String, Map<String, Long>> before;
        private final Map<String, Map<String, Long>> now;
        private final double seconds;

        Screen(Map<String, Long> before, Map<String, Long> now, double seconds) {
            this.before = groups(before);
            this.now = groups(now);
            this.seconds = seconds;
        }

        private static Map<String, Map<String, Long>> groups(Map<String, Long> flat) {
            Map<String, Map<String, Long>> g = new TreeMap<>();
            flat.forEach((label, v) -> {
                int dot = label.lastIndexOf('.');
                if (dot > 0) {
                    g.computeIfAbsent(label.substring(0, dot), k -> new LinkedHashMap<>())
                        .put(label.substring(dot + 1), v);
                }
            });
            return g;
        }

        private long value(String group, String name) {
            return now.getOrDefault(group, Map.of()).getOrDefault(name, 0L);
        }

        private double rate(String group, String name) {
            long d = value(group, name) - before.getOrDefault(group, Map.of()).getOrDefault(name, 0L);
            return Math.max(0, d) / seconds;
        }

        private List<String> groupsLike(String regex) {
            return now.keySet().stream().filter(g -> g.matches(regex)).toList();
        }

        private Map<String, Double> queue(String q) {
            Map<String, Double> m = new LinkedHashMap<>();
            double iops = rate(q, "requests");
            m.put("iops", iops);
            m.put("mb_s", (rate(q, "bytes_read") + rate(q, "bytes_written")) / 1e6);
            m.put("p50_us", value(q, "svc_p50_ns") / 1e3);
            m.put("p99_us", value(q, "svc_p99_ns") / 1e3);
            m.put("p999_us", value(q, "svc_p999_ns") / 1e3);
            m.put("qd", iops * value(q, "svc_mean_ns") / 1e9);
            m.put("batches_s", rate(q, "batches"));
            m.put("interrupts_s", rate(q, "interrupts"));
            return m;
        }

        private Map<String, Double> agent(String a) {
            Map<String, Double> m = new LinkedHashMap<>();
            double cpu = rate(a, "cpu_ns");
            m.put("cpu_pct", cpu / 1e7);
            m.put("idle_poll_pct", cpu == 0 ? 0 : Math.min(100, 100 * rate(a, "idle_poll_ns") / cpu));
            m.put("polls_with_work_s", rate(a, "polls_with_work"));
            m.put("kicks_s", rate(a, "kicks"));
            m.put("sleeps_s", rate(a, "idle_sleeps"));
            return m;
        }

        private Map<String, Double> vcpu(String v) {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("exits_s", rate(v, "exits"));
            m.put("io_exits_s", rate(v, "io_exits"));
            m.put("mmio_exits_s", rate(v, "mmio_exits"));
            m.put("halt_exits_s", rate(v, "halt_exits"));
            m.put("irq_injections_s", rate(v, "irq_injections"));
            m.put("cpu_pct", rate(v, "cpu_ns") / 1e7);
            return m;
        }

        String text(long pid, double interval) {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "vireo stat: VM %d  %s  every %.2f s  (user-space exits/s %.0f)%n",
                pid, LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")), interval,
                rate("vm", "userspace_exits")));
            sb.append(String.format(Locale.ROOT, "%-12s %10s %9s %9s %9s %9s %7s %10s %10s%n", "queue", "IOPS",
                "MB/s", "p50_us", "p99_us", "p99.9_us", "qd", "batches/s", "irq/s"));
            Map<String, double[]> disks = new TreeMap<>();
            for (String q : groupsLike("disk[0-9]+\\.q[0-9]+")) {
                Map<String, Double> m = queue(q);
                sb.append(String.format(Locale.ROOT, "%-12s %10.0f %9.1f %9.3f %9.3f %9.3f %7.2f %10.0f %10.0f%n", q,
                    m.get("iops"), m.get("mb_s"), m.get("p50_us"), m.get("p99_us"), m.get("p999_us"), m.get("qd"),
                    m.get("batches_s"), m.get("interrupts_s")));
                double[] d = disks.computeIfAbsent(q.substring(0, q.indexOf('.')), k -> new double[2]);
                d[0] += m.get("iops");
                d[1] += m.get("mb_s");
            }
            disks.forEach((d, v) -> sb.append(String.format(Locale.ROOT, "%-12s %10.0f %9.1f%n", d + " total", v[0],
                v[1])));
            sb.append(String.format(Locale.ROOT, "%-16s %7s %12s %12s %10s %10s%n", "agent", "cpu%", "idle-poll%",
                "work-polls/s", "kicks/s", "sleeps/s"));
            for (String a : groupsLike("agent\\..+")) {
                Map<String, Double> m = agent(a);
                sb.append(String.format(Locale.ROOT, "%-16s %7.1f %12.1f %12.0f %10.0f %10.0f%n", a.substring(6),
                    m.get("cpu_pct"), m.get("idle_poll_pct"), m.get("polls_with_work_s"), m.get("kicks_s"),
                    m.get("sleeps_s")));
            }
            sb.append(String.format(Locale.ROOT, "%-8s %10s %10s %10s %10s %10s %7s%n", "vcpu", "exits/s", "io/s",
                "mmio/s", "halt/s", "irq-inj/s", "cpu%"));
            for (String v : groupsLike("vcpu[0-9]+")) {
                Map<String, Double> m = vcpu(v);
                sb.append(String.format(Locale.ROOT, "%-8s %10.0f %10.0f %10.0f %10.0f %10.0f %7.1f%n", v,
                    m.get("exits_s"), m.get("io_exits_s"), m.get("mmio_exits_s"), m.get("halt_exits_s"),
                    m.get("irq_injections_s"), m.get("cpu_pct")));
            }
            return sb.toString();
        }

        String json(long pid) {
            StringBuilder sb = new StringBuilder("{\"pid\":").append(pid).append(",\"time_ms\":")
                .append(System.currentTimeMillis()).append(",\"seconds\":").append(seconds)
                .append(",\"userspace_exits_s\":").append(rate("vm", "userspace_exits"));
            section(sb, "queues", "disk[0-9]+\\.q[0-9]+", this::queue, 0);
            section(sb, "agents", "agent\\..+", this::agent, 6);
            section(sb, "vcpus", "vcpu[0-9]+", this::vcpu, 0);
            return sb.append('}').toString();
        }

        private void section(StringBuilder sb, String name, String regex,
                             java.util.function.Function<String, Map<String, Double>> f, int cut) {
            sb.append(",\"").append(name).append("\":{");
            String sep = "";
            for (String g : groupsLike(regex)) {
                sb.append(sep);
                StatsJson.string(sb, g.substring(cut));
                sb.append(":{");
                String s2 = "";
                for (Map.Entry<String, Double> e : f.apply(g).entrySet()) {
                    sb.append(s2).append('"').append(e.getKey()).append("\":").append(e.getValue());
                    s2 = ",";
                }
                sb.append('}');
                sep = ",";
            }
            sb.append('}');
        }
    }
}
