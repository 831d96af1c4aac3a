package io.vireo.vmm.cli;

import io.vireo.vmm.VireoException;
import io.vireo.vmm.machine.NetConfig;
import io.vireo.vmm.vhostuser.VhostUserNetDaemon;

import picocli.CommandLine.Command;
import picocli.CommandLine.IParameterConsumer;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.util.Stack;
import java.util.concurrent.Callable;

import static io.vireo.vmm.cli.Sizes.usage;

/**
 * {@code vireo vhost-user-net}: the flags, as a picocli subcommand, into a {@link VhostUserNetDaemon.Config}; runs the
 * daemon until SIGTERM or SIGINT (then drains and exits 0), and prints {@code --stats} / writes {@code --stats-json}.
 */
@Command(name = "vhost-user-net", addMethodSubcommands = false, sortOptions = false,
    description = {
        "Serve a virtio-net device to a vhost-user front end (QEMU -netdev vhost-user, DPDK net_virtio_user) on a "
            + "UNIX socket, with the data plane of vireo run: the same device, tap or loopback back end and polling "
            + "queue agents.",
        "One front end at a time; when it goes away the next is accepted. SIGTERM/SIGINT drain and exit 0."})
final class VhostUserNetCommand implements Callable<Integer> {
    @Option(names = "--socket", required = true, paramLabel = "PATH",
        description = "the socket to listen on (a stale socket file is replaced; one in use is refused)")
    Path socket;

    @Option(names = "--tap", paramLabel = "NAME[,queues=N][,mtu=N][,poll-us=N]",
        description = "carry the frames on this tap (used if it exists, else created; queues=N > 1 needs a "
            + "multi_queue tap); options as for vireo run --net")
    String tap;

    @Option(names = "--loopback", arity = "0..1", paramLabel = "queues=N[,poll-us=N]",
        parameterConsumer = LoopbackOptions.class,
        description = "send every frame back with the MAC addresses swapped (the data plane alone)")
    String loopback;

    /**
     * {@code --loopback} takes options only when the next word is not a flag: the shared parser lets values look
     * like flags ({@link Cli}), which would make {@code --loopback --io-cpus 1} read {@code --io-cpus} as options.
     */
    static final class LoopbackOptions implements IParameterConsumer {
        @Override
        public void consumeParameters(Stack<String> args, ArgSpec argSpec, CommandSpec commandSpec) {
            // no positional arguments here: a next word that is not a flag is the options (checked by NetSpec).
            argSpec.setValue(!args.isEmpty() && !args.peek().startsWith("-") ? args.pop() : "");
        }
    }

    @Mixin
    VhostUserOptions common;

    @Mixin
    HelpOption help;

    @ParentCommand
    VireoCommand parent;

    @Override
    public Integer call() throws InterruptedException {
        if ((tap == null) == (loopback == null)) {
            throw usage("vhost-user-net needs one back end: --tap NAME or --loopback"
                + (tap != null ? ", not both" : ""));
        }
        String spec = tap != null ? "tap=" + tap : "loopback" + (loopback.isEmpty() ? "" : "," + loopback);
        NetConfig net;
        try {
            net = NetSpec.parse(spec);
        } catch (VireoException e) {
            throw renamed(e);
        }
        VhostUserNetDaemon.Config config = new VhostUserNetDaemon.Config(socket, net, common.ioThreads,
            common.ioCpus.list());
        return VhostUserServing.serve("vhost-user-net", log -> {
            try {
                return VhostUserNetDaemon.start(config, log);
            } catch (VireoException e) {
                throw renamed(e);
            }
        }, common.stats, common.statsJson, parent.err());
    }

    /** vireo run's messages speak of --net tap=NAME / --net loopback: name the flags given here instead. */
    private static VireoException renamed(VireoException e) {
        return usage(e.getMessage().replaceFirst("^--net tap=", "--tap ").replaceFirst("^--net loopback",
            "--loopback"));
    }
}
