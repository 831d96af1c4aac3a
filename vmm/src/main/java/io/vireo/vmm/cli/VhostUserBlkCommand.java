package io.vireo.vmm.cli;

import io.vireo.dataplane.agent.DataPlane;
import io.vireo.vmm.machine.DiskConfig;
import io.vireo.vmm.vhostuser.VhostUserBlkDaemon;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import sun.misc.Signal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import static io.vireo.vmm.cli.Sizes.usage;

/**
 * {@code vireo vhost-user-blk}: the flags, as a picocli subcommand, into a {@link VhostUserBlkDaemon.Config}; runs
 * the daemon until SIGTERM or SIGINT (then drains and exits 0), and prints {@code --stats} / writes
 * {@code --stats-json}.
 */
@Command(name = "vhost-user-blk", sortOptions = false,
    description = {
        "Serve one disk to a vhost-user front end (QEMU vhost-user-blk-pci) on a UNIX socket, with the data plane "
            + "of vireo run: the same virtio-blk device, back ends and polling queue agents.",
        "One front end at a time; when it goes away the next is accepted. SIGTERM/SIGINT drain and exit 0."})
final class VhostUserBlkCommand implements Callable<Integer> {
    @Option(names = "--socket", required = true, paramLabel = "PATH",
        description = "the socket to listen on (a stale socket file is replaced; one in use is refused)")
    Path socket;

    @Option(names = "--disk", required = true, paramLabel = "PATH|null:SIZE[,key=value]...",
        converter = Converters.LocalDisk.class, description = "as for vireo run (readonly, serial, backend, queues "
            + "(default " + VhostUserBlkDaemon.DEFAULT_QUEUES + "), poll-us, direct, sqpoll, fail)")
    DiskConfig disk;

    @Option(names = "--io-threads", paramLabel = "queue|device|shared", converter = Converters.IoThreads.class,
        description = "queue agents: one thread per queue, per disk (default), or one for all")
    DataPlane.Threads ioThreads = DataPlane.Threads.PER_DEVICE;

    @Option(names = "--io-cpus", paramLabel = "LIST", converter = Converters.CpuList.class,
        description = "pin the queue agents to these host CPUs, round-robin (e.g. 1 or 0,1)")
    int[] ioCpus = new int[0];

    @Option(names = "--stats", description = "at exit, the data plane's counters on stderr (vireo: stats: lines)")
    boolean stats;

    @Option(names = "--stats-json", paramLabel = "FILE",
        description = "the same as one JSON object in FILE (written at exit, atomically)")
    Path statsJson;

    @Mixin
    HelpOption help;

    @ParentCommand
    VireoCommand parent;

    @Override
    public Integer call() throws InterruptedException {
        return serve(new VhostUserBlkDaemon.Config(socket, disk, ioThreads, ioCpus), stats, statsJson, parent.err());
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
