package io.vireo.vmm.vhostuser;

import io.vireo.dataplane.agent.DataPlane;
import io.vireo.dataplane.stats.StatsSink;
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
public final class VhostUserBlkDaemon extends VhostUserDaemon {
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

    private VhostUserBlkDaemon(BlockBackend backend, VirtioBlkDevice device, Served served) {
        super("disk0", served);
        this.backend = backend;
        this.device = device;
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
        try {
            int queues = disk.queues() > 0 ? disk.queues() : DEFAULT_QUEUES;
            device = new VirtioBlkDevice(backend, disk.serial(), queues);
            Served served = serve(config.socket(), device, "disk0", disk.pollNs(), config.threads(), config.ioCpus(),
                log);
            return new VhostUserBlkDaemon(backend, device, served);
        } catch (RuntimeException e) {
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

    @Override
    public String describe() {
        return backend.describe() + ", " + device.queueCount() + " queue(s), socket " + server().socket();
    }

    /** {@code disk0}: the device, per queue too. */
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
