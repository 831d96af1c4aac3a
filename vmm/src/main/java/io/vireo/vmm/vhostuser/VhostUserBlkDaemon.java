package io.vireo.vmm.vhostuser;

import io.vireo.dataplane.agent.DataPlane;
import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.agent.QueueAgent;
import io.vireo.dataplane.stats.StatsSink;
import io.vireo.dataplane.vhostuser.VhostUserBackendServer;
import io.vireo.dataplane.virtio.device.blk.VirtioBlkDevice;
import io.vireo.dataplane.virtio.device.blk.backend.BlockBackend;
import io.vireo.vmm.machine.DiskConfig;
import io.vireo.vmm.machine.DiskBackends;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * {@code vireo vhost-user-blk}: Vireo's virtio-blk device, its back end and its polling queue agents, served to a
 * front end (QEMU, Cloud Hypervisor) over a vhost-user socket instead of the VMM's own PCI transport. The disk and
 * the agents live as long as the daemon; each front end gets a session, and the next one is accepted when it leaves.
 */
public final class VhostUserBlkDaemon implements AutoCloseable {
    /** Default request queues: enough for QEMU's default num-queues (one per vCPU) on small guests. */
    public static final int DEFAULT_QUEUES = 4;

    /**
     * @param socket  the UNIX socket to listen on
     * @param disk    the disk, as {@code vireo run --disk} takes it ({@code queues=N} sets the queues offered)
     * @param threads queue agents: per queue, per device (default) or shared
     * @param ioCpus  CPUs to pin the agents to, round-robin; empty for none
     */
    public record Config(Path socket, DiskConfig disk, DataPlane.Threads threads, int[] ioCpus) {
    }

    private final BlockBackend backend;
    private final VirtioBlkDevice device;
    private final DataPlane dataPlane;
    private final VhostUserBackendServer server;
    private final long startNs = System.nanoTime();

    private VhostUserBlkDaemon(BlockBackend backend, VirtioBlkDevice device, DataPlane dataPlane,
                               VhostUserBackendServer server) {
        this.backend = backend;
        this.device = device;
        this.dataPlane = dataPlane;
        this.server = server;
    }

    /**
     * Opens the disk, starts the agents, binds the socket and serves on a thread of its own.
     *
     * @param log where the server's lines go (null: the platform logger)
     * @throws IllegalArgumentException for a socket path that cannot be used (one-line message)
     */
    public static VhostUserBlkDaemon start(Config config, Consumer<String> log) {
        DiskConfig disk = config.disk();
        if (disk.fixedBuffers()) {
            throw new IllegalArgumentException("--disk " + disk.name() + ": fixed-buffers=on needs guest memory up "
                + "front, which a vhost-user back end only gets per front end");
        }
        BlockBackend backend = DiskBackends.open(disk, null);
        VirtioBlkDevice device = null;
        DataPlane dataPlane = null;
        try {
            int queues = disk.queues() > 0 ? disk.queues() : DEFAULT_QUEUES;
            device = new VirtioBlkDevice(backend, disk.serial(), queues);
            dataPlane = new DataPlane(config.threads(), config.ioCpus());
            PolledQueue[] polled = new PolledQueue[queues];
            for (int q = 0; q < queues; q++) {
                polled[q] = device.polledQueue(q);
            }
            QueueAgent[] owners = dataPlane.place("disk0", polled, disk.pollNs());
            VhostUserBackendServer server = new VhostUserBackendServer(config.socket(), device, owners, log);
            server.bind();
            dataPlane.start();
            server.start();
            return new VhostUserBlkDaemon(backend, device, dataPlane, server);
        } catch (RuntimeException e) {
            if (dataPlane != null) {
                dataPlane.close();
            }
            if (device != null) {
                device.close();
            }
            backend.close();
            throw e;
        }
    }

    public VirtioBlkDevice device() {
        return device;
    }

    public VhostUserBackendServer server() {
        return server;
    }

    public String describe() {
        return backend.describe() + ", " + device.queueCount() + " queue(s), socket " + server.socket();
    }

    /** The counters: {@code disk0} (the device, per queue too), {@code agents}, {@code vhost_user}. */
    public void report(String source, StatsSink sink) {
        switch (source) {
            case "disk0" -> device.report(sink);
            case "agents" -> dataPlane.report(sink);
            default -> {
                sink.counter("sessions", server.sessions());
                sink.counter("messages", server.messages());
                sink.counter("refusals", server.refusals());
            }
        }
    }

    public long uptimeNs() {
        return System.nanoTime() - startNs;
    }

    /** Ends the session (its rings drained: everything completed is in the used rings), the agents, the disk. */
    @Override
    public void close() {
        server.close();
        dataPlane.close();
        device.close();
        backend.close();
    }
}
