/**
 * Vireo's data plane, embeddable without the VMM: guest memory, the generic PCI function, the virtio PCI transport,
 * the vhost-user back end, the split queue, devices with their back ends, and the queue agents that poll them. The
 * io_uring ring ({@code io.vireo.dataplane.uring}) stays inside: back ends wrap it.
 */
module io.vireo.dataplane {
    requires transitive io.vireo.sys;
    requires transitive org.agrona;
    requires org.jctools.core.jdk11;
    // Per-queue service times (ServiceTimes hands out its Histograms); the jar names no module: its file name does.
    requires transitive HdrHistogram;
    // The request trace (RequestTrace, TraceReader).
    requires chronicle.bytes;

    exports io.vireo.dataplane.memory;
    exports io.vireo.dataplane.pci;
    exports io.vireo.dataplane.stats;
    exports io.vireo.dataplane.agent;
    exports io.vireo.dataplane.virtio;
    exports io.vireo.dataplane.virtio.queue;
    exports io.vireo.dataplane.virtio.agent;
    exports io.vireo.dataplane.virtio.transport.pci;
    exports io.vireo.dataplane.vhostuser;
    exports io.vireo.dataplane.virtio.device.blk;
    exports io.vireo.dataplane.virtio.device.blk.backend;
    exports io.vireo.dataplane.virtio.device.net;
    exports io.vireo.dataplane.virtio.device.net.backend;
}
