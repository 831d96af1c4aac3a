package io.vireo.vmm.cli;

import io.vireo.vmm.machine.DiskConfig;
import io.vireo.vmm.vhostuser.VhostUserBlkDaemon;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import static io.vireo.vmm.cli.Sizes.usage;

/**
 * {@code vireo vhost-user-blk}: the flags, as a picocli subcommand, into a {@link VhostUserBlkDaemon.Config}; runs
 * the daemon until SIGTERM or SIGINT (then drains and exits 0), and prints {@code --stats} / writes
 * {@code --stats-json}.
 */
@Command(name = "vhost-user-blk", addMethodSubcommands = false, sortOptions = false,
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

    @Mixin
    VhostUserOptions common;

    @Mixin
    HelpOption help;

    @ParentCommand
    VireoCommand parent;

    @Override
    public Integer call() throws InterruptedException {
        return serve(new VhostUserBlkDaemon.Config(socket, disk, common.ioThreads, common.ioCpus.list()),
            common.stats, common.statsJson, parent.err());
    }

    /**
     * Checks the disk and the stats file, starts the daemon, waits for SIGTERM/SIGINT, stops it (the session's rings
     * drained) and reports the counters. Returns 0.
     */
    static int serve(VhostUserBlkDaemon.Config config, boolean stats, Path statsJson, PrintStream err)
        throws InterruptedException {
        checkDisk(config.disk());
        return VhostUserServing.serve("vhost-user-blk", log -> VhostUserBlkDaemon.start(config, log), stats,
            statsJson, err);
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
}
