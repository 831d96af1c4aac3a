package io.vireo.vmm.vhostuser;

import io.vireo.dataplane.agent.DataPlane;
import io.vireo.dataplane.stats.StatsSink;
import io.vireo.dataplane.virtio.device.net.VirtioNetDevice;
import io.vireo.dataplane.virtio.device.net.backend.NetBackend;
import io.vireo.vmm.machine.NetBackends;
import io.vireo.vmm.machine.NetConfig;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * {@code vireo vhost-user-net}: Vireo's virtio-net device, its tap or loopback back end and its polling queue agents,
 * served to a front end (QEMU {@code -netdev vhost-user}, DPDK's {@code net_virtio_user}) over a vhost-user socket.
 * The front end keeps the control queue and the MAC address to itself; the device's data queues, receiveq{@code k} =
 * 2k and transmitq{@code k} = 2k + 1, are the vrings. The back end and the agents live as long as the daemon; each
 * front end gets a session, the next one is accepted when it leaves.
 */
public final class VhostUserNetDaemon extends VhostUserDaemon {
    /**
     * @param socket  the UNIX socket to listen on
     * @param net     the device as {@code vireo run --net} takes it: a tap (opened, or created) or the loopback
     *                (every frame sent back with the MAC addresses swapped), queue pairs, MTU, poll budget; the MAC
     *                only fills the config space (front ends bring their own)
     * @param threads queue agents: per queue pair, per device (default) or shared
     * @param ioCpus  CPUs to pin the agents to, round-robin; empty for none
     */
    public record Config(Path socket, NetConfig net, DataPlane.Threads threads, int[] ioCpus) {
    }

    private final NetBackend backend;
    private final VirtioNetDevice device;

    private VhostUserNetDaemon(NetBackend backend, VirtioNetDevice device, Served served) {
        super("net0", served);
        this.backend = backend;
        this.device = device;
    }

    /**
     * Opens the back end, starts the agents, binds the socket and serves on a thread of its own.
     *
     * @param log where the server's lines go (null: the platform logger)
     * @throws io.vireo.vmm.VireoException (usage) for a tap that cannot be used, naming it as {@code --net tap=NAME}
     * @throws IllegalArgumentException for a socket that cannot be used (one-line message)
     */
    public static VhostUserNetDaemon start(Config config, Consumer<String> log) {
        NetConfig net = config.net();
        NetBackend backend = NetBackends.open(net);
        VirtioNetDevice device = null;
        try {
            device = new VirtioNetDevice(backend, net.macOrDefault(0), net.pairs(), NetBackends.mtu(net, backend),
                null, "net0");
            Served served = serve(config.socket(), device, "net0", net.pollNs(), config.threads(), config.ioCpus(),
                log);
            return new VhostUserNetDaemon(backend, device, served);
        } catch (RuntimeException e) {
            if (device != null) {
                device.close();
            }
            backend.close();
            throw e;
        }
    }

    public VirtioNetDevice device() {
        return device;
    }

    @Override
    public String describe() {
        return "virtio-net on " + backend.describe() + ", " + device.pairCount() + " queue pair(s), socket "
            + server().socket();
    }

    /** {@code net0}: the device, per pair too. */
    @Override
    protected void reportDevice(StatsSink sink) {
        device.report(sink);
    }

    @Override
    protected void closeDevice() {
        device.close();
        backend.close();
    }
}
