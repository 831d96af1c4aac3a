package io.vireo.vmm.cli;

import io.vireo.dataplane.agent.DataPlane;
import io.vireo.vmm.machine.DiskConfig;
import io.vireo.vmm.vhostuser.VhostUserBlkDaemon;

import sun.misc.Signal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static io.vireo.vmm.cli.Sizes.usage;

/**
 * {@code vireo vhost-user-blk}: parses the command line into a {@link VhostUserBlkDaemon.Config}, runs the daemon
 * until SIGTERM or SIGINT (then drains and exits 0), and prints {@code --stats} / writes {@code --stats-json}.
 */
final class VhostUserBlkCommand {
    static final String USAGE = """
        usage: vireo vhost-user-blk --socket PATH --disk PATH|null:SIZE[,option=value]...
                                    [--io-threads queue|device|shared] [--io-cpus LIST]
                                    [--stats] [--stats-json FILE]

          Serves one virtio-blk disk to a vhost-user front end (QEMU vhost-user-blk-pci, Cloud Hypervisor) on a
          UNIX socket, with the data plane of vireo run: the same device, back ends and polling queue agents.
          One front end at a time; when it goes away the next is accepted. SIGTERM/SIGINT drain and exit 0.

          --socket PATH    the socket to listen on (a stale socket file is replaced; one in use is refused)
          --disk SPEC      as for vireo run (readonly, serial, backend, queues (default 4), poll-us, direct,
                           sqpoll, fail)
          --io-threads M   queue agents: one thread per queue, per disk (default), or one for all
          --io-cpus LIST   pin the agents' threads to these host CPUs, round-robin
          --stats          at exit, the data plane's counters on stderr (vireo: stats: lines)
          --stats-json F   the same as one JSON object, written to F at exit
        """;

    private VhostUserBlkCommand() {
    }

    static int run(List<String> args, PrintStream err) throws InterruptedException {
        Path socket = null;
        DiskConfig disk = null;
        DataPlane.Threads threads = DataPlane.Threads.PER_DEVICE;
        int[] cpus = new int[0];
        boolean stats = false;
        Path statsJson = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            switch (name) {
                case "-h", "--help" -> {
                    err.print(USAGE);
                    return 0;
                }
                case "--stats" -> stats = true;
                case "--socket", "--disk", "--io-threads", "--io-cpus", "--stats-json" -> {
                    if (value == null) {
                        if (i + 1 >= args.size()) {
                            throw usage(name + " needs a value");
                        }
                        value = args.get(++i);
                    }
                    switch (name) {
                        case "--socket" -> socket = Path.of(value);
                        case "--disk" -> {
                            if (disk != null) {
                                throw usage("--disk given twice (one disk per socket: run one daemon each)");
                            }
                            disk = DiskSpec.parse(value);
                        }
                        case "--io-threads" -> threads = parseThreads(value);
                        case "--io-cpus" -> cpus = RunOptions.parseCpus(name, value);
                        default -> statsJson = Path.of(value);
                    }
                }
                default -> throw usage("unknown option " + a + " (see vireo vhost-user-blk --help)");
            }
        }
        if (socket == null) {
            throw usage("--socket PATH is required");
        }
        if (disk == null) {
            throw usage("--disk PATH|null:SIZE is required");
        }
        return serve(new VhostUserBlkDaemon.Config(socket, disk, threads, cpus), stats, statsJson, err);
    }

    /**
     * Checks the disk and the stats file, starts the daemon, waits for SIGTERM/SIGINT, stops it (the session's rings
     * drained) and reports the counters. Returns 0.
     */
    static int serve(VhostUserBlkDaemon.Config config, boolean stats, Path statsJson, PrintStream err)
        throws InterruptedException {
        checkDisk(config.disk());
        if (statsJson != null) {
            StatsJson.checkWritable(statsJson);
        }
        VhostUserBlkDaemon daemon;
        try {
            daemon = VhostUserBlkDaemon.start(config, line -> err.println("vireo: " + line));
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        err.println("vireo: vhost-user-blk: serving " + daemon.describe());
        try {
            stop.await();
        } finally {
            daemon.close();
            report(daemon, stats, statsJson, err);
        }
        return 0;
    }

    private static DataPlane.Threads parseThreads(String value) {
        try {
            return DataPlane.Threads.parse(value);
        } catch (IllegalArgumentException e) {
            throw usage("--io-threads must be queue, device or shared (got '" + value + "')");
        }
    }

    private static void checkDisk(DiskConfig d) {
        Path p = d.path();
        if (p == null) {
            return;
        }
        if (!Files.exists(p)) {
            throw usage("--disk " + p + ": no such file");
        }
        if (!Files.isRegularFile(p)) {
            throw usage("--disk " + p + ": not a regular file");
        }
        try {
            if (Files.size(p) < 512) {
                throw usage("--disk " + p + ": " + Files.size(p) + " bytes is smaller than one 512-byte sector");
            }
        } catch (IOException e) {
            throw usage("--disk " + p + ": cannot read (" + e.getMessage() + ")");
        }
        if (!Files.isReadable(p)) {
            throw usage("--disk " + p + ": not readable");
        }
        if (!d.readOnly() && !Files.isWritable(p)) {
            throw usage("--disk " + p + ": not writable (add ,readonly=on)");
        }
    }

    private static void report(VhostUserBlkDaemon daemon, boolean stats, Path statsJson, PrintStream err) {
        Map<String, Map<String, Long>> sources = new LinkedHashMap<>();
        for (String source : List.of("disk0", "agents", "vhost_user")) {
            Map<String, Long> counters = new LinkedHashMap<>();
            daemon.report(source, counters::put);
            sources.put(source, counters);
        }
        if (stats) {
            StringBuilder sb = new StringBuilder();
            sb.append(StatsReport.PREFIX).append("total over ").append(daemon.uptimeNs() / 1_000_000).append(" ms\n");
            sources.forEach((source, counters) -> {
                sb.append(StatsReport.PREFIX).append("  dataplane ").append(source).append(':');
                counters.forEach((n, v) -> sb.append(' ').append(n).append('=').append(v));
                sb.append('\n');
            });
            err.print(sb);
        }
        if (statsJson != null) {
            StringBuilder sb = new StringBuilder("{\"wall_ns\":").append(daemon.uptimeNs()).append(",\"dataplane\":{");
            String sep = "";
            for (Map.Entry<String, Map<String, Long>> s : sources.entrySet()) {
                sb.append(sep);
                StatsJson.string(sb, s.getKey());
                sb.append(":{");
                String sep2 = "";
                for (Map.Entry<String, Long> c : s.getValue().entrySet()) {
                    sb.append(sep2);
                    StatsJson.string(sb, c.getKey());
                    sb.append(':').append(c.getValue());
                    sep2 = ",";
                }
                sb.append('}');
                sep = ",";
            }
            sb.append("}}\n");
            try {
                StatsJson.write(statsJson, sb.toString());
            } catch (IOException | RuntimeException e) {
                err.println("vireo: --stats-json " + statsJson + ": cannot write (" + e + ")");
            }
        }
    }
}
