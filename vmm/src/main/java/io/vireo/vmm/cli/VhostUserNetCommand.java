package io.vireo.vmm.cli;

import io.vireo.vmm.vhostuser.VhostUserNetDaemon;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import static io.vireo.vmm.cli.Sizes.usage;

/**
 * {@code vireo vhost-user-net}: the flags, as a picocli subcommand, into a {@link VhostUserNetDaemon.Config}; runs the
 * daemon until SIGTERM or SIGINT (then drains and exits 0), and prints {@code --stats} / writes {@code --stats-json}.
 */
@Command(name = "vhost-user-net", sortOptions = false,
    description = {
        "Serve a virtio-net device to a vhost-user front end (QEMU -netdev vhost-user, DPDK net_virtio_user) on a "
            + "UNIX socket, with the data plane of vireo run: the same device, tap or loopback back end and polling "
            + "queue agents.",
        "One front end at a time; when it goes away the next is accepted. SIGTERM/SIGINT drain and exit 0."})
final class VhostUserNetCommand implements Callable<Integer> {
    /** Queue pairs at most (a multi-queue tap has as many queues). */
    static final int MAX_QUEUES = 16;

    @Option(names = "--socket", required = true, paramLabel = "PATH",
        description = "the socket to listen on (a stale socket file is replaced; one in use is refused)")
    Path socket;

    @ArgGroup(exclusive = true, multiplicity = "1")
    BackEnd backEnd;

    static final class BackEnd {
        @Option(names = "--tap", paramLabel = "NAME", description = "carry the frames on this tap (used if it exists, "
            + "else created; --queues > 1 needs a multi_queue tap)")
        String tap;

        @Option(names = "--loopback", description = "send every frame back with the MAC addresses swapped (the data "
            + "plane alone)")
        boolean loopback;
    }

    @Option(names = "--queues", paramLabel = "N", description = "queue pairs offered, 1-" + MAX_QUEUES
        + " (default 1)")
    int queues = 1;

    @Option(names = "--poll-us", paramLabel = "N", description = "how long a queue agent keeps polling after its "
        + "last frame before it sleeps, in µs (default 32; 0 = sleep after each batch)")
    long pollUs = 32;

    @Mixin
    VhostUserOptions common;

    @Mixin
    HelpOption help;

    @ParentCommand
    VireoCommand parent;

    @Override
    public Integer call() throws InterruptedException {
        if (queues < 1 || queues > MAX_QUEUES) {
            throw usage("--queues " + queues + ": must be 1 to " + MAX_QUEUES);
        }
        if (pollUs < 0 || pollUs > 1_000_000) {
            throw usage("--poll-us " + pollUs + ": must be 0 to 1000000");
        }
        if (backEnd.tap != null && !validTapName(backEnd.tap)) {
            throw usage("--tap '" + backEnd.tap + "': not an interface name (1-15 characters, no '/', ':' or space)");
        }
        VhostUserNetDaemon.Config config = new VhostUserNetDaemon.Config(socket, backEnd.tap, queues,
            common.ioThreads, common.ioCpus.list(), pollUs * 1000);
        return VhostUserServing.serve("vhost-user-net", log -> VhostUserNetDaemon.start(config, log), common.stats,
            common.statsJson, parent.err());
    }

    /** Linux's dev_valid_name: 1-15 bytes, not "." or "..", no '/', ':' or whitespace. */
    static boolean validTapName(String name) {
        if (name.isEmpty() || name.length() > 15 || name.equals(".") || name.equals("..")) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || Character.isWhitespace(c) || c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
