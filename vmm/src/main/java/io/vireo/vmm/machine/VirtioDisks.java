package io.vireo.vmm.machine;

import io.vireo.dataplane.agent.AgentOwnedDevice;
import io.vireo.dataplane.agent.DataPlane;
import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.agent.QueueAgent;
import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.pci.MsixVectorListener;
import io.vireo.dataplane.pci.PciFunction;
import io.vireo.dataplane.stats.CountersFile;
import io.vireo.dataplane.stats.RequestTrace;
import io.vireo.dataplane.stats.StatsSource;
import io.vireo.dataplane.virtio.device.blk.BlkCounter;
import io.vireo.dataplane.virtio.device.blk.VirtioBlkDevice;
import io.vireo.dataplane.virtio.device.blk.backend.BlockBackend;
import io.vireo.dataplane.virtio.transport.pci.VirtioPciFunction;
import io.vireo.vmm.cli.DiskSpec;
import io.vireo.vmm.kvm.MsiRoutes;
import io.vireo.vmm.kvm.Vm;
import io.vireo.vmm.pci.BarMappingListener;
import io.vireo.vmm.pci.PciAddress;
import io.vireo.vmm.pci.PciBarMapper;
import io.vireo.vmm.pci.PciBus;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Puts one transitional virtio-blk PCI function per {@code --disk} on the bus, its queues served by polling
 * {@link QueueAgent}s of one {@link DataPlane}. Every queue's notify address (modern: in the notify BAR; legacy:
 * QUEUE_NOTIFY in the I/O BAR, matched on the queue index) is a KVM ioeventfd wherever the guest puts the BAR, so a
 * kick never exits to user space (and while an agent polls, the guest is told not to kick at all). Each MSI-X vector
 * is a KVM GSI routed to the message the guest programmed, raised by one write to its irqfd ({@link MsiRoutes}).
 */
final class VirtioDisks implements AutoCloseable {
    private final DataPlane dataPlane;
    private final List<AgentOwnedDevice> devices = new ArrayList<>();
    private final List<VirtioBlkDevice> blks = new ArrayList<>();
    private final List<BlockBackend> backends = new ArrayList<>();
    private final List<String> names = new ArrayList<>();

    private VirtioDisks(DataPlane dataPlane) {
        this.dataPlane = dataPlane;
    }

    /** Creates the disks and starts their agents; close the result before guest memory goes away. */
    static VirtioDisks attach(List<DiskSpec> disks, GuestMemory memory, Vm vm, PciBus bus, PciBarMapper mapper,
                              int cpus, MachineConfig.Io io, CountersFile counters, RequestTrace trace,
                              List<AutoCloseable> closeables) {
        VirtioDisks all = new VirtioDisks(new DataPlane(io.threads(), io.cpus(), counters));
        closeables.add(all);
        MsiRoutes routes = new MsiRoutes(vm);
        closeables.add(routes);
        Map<VirtioPciFunction, VirtioBlkDevice> byFunction = new HashMap<>();
        for (DiskSpec disk : disks) {
            String name = "disk" + all.names.size();
            BlockBackend backend = DiskBackends.open(disk, memory);
            all.backends.add(backend);
            int queues = queueCount(disk, cpus);
            VirtioBlkDevice blk = new VirtioBlkDevice(backend, disk.serial(), queues, counters, name);
            if (trace != null) {
                blk.trace(trace, all.names.size());
            }
            all.blks.add(blk);
            PolledQueue[] polled = new PolledQueue[queues];
            for (int q = 0; q < queues; q++) {
                polled[q] = blk.polledQueue(q);
            }
            QueueAgent[] owners = all.dataPlane.place(name, polled, disk.pollNs());
            AgentOwnedDevice device = new AgentOwnedDevice(blk, owners);
            int[] firstGsi = new int[1];
            VirtioPciFunction fn = new VirtioPciFunction(device, memory, vector -> routes.signal(firstGsi[0] + vector),
                true);
            firstGsi[0] = routes.allocate(fn.msix().table().vectors());
            fn.setMsixVectorListener(new MsixVectorListener() {
                @Override
                public void vectorChanged(int vector, long address, int data, boolean masked) {
                    if (address != 0) {
                        routes.setRoute(firstGsi[0] + vector, address, data);
                    }
                }

                @Override
                public void functionChanged(boolean enabled, boolean functionMasked) {
                    // Masking is the transport's: it raises only deliverable vectors, else sets pending.
                }

                @Override
                public void deliverPending(int vector) {
                    routes.signal(firstGsi[0] + vector);
                }
            });
            bus.addFunction(fn);
            byFunction.put(fn, blk);
            all.devices.add(device);
            all.names.add(name);
        }
        mapper.addListener(new NotifyEventFds(vm, byFunction));
        all.dataPlane.start();
        return all;
    }

    /** The request queues of {@code disk} on a machine of {@code cpus} vCPUs. */
    static int queueCount(DiskSpec disk, int cpus) {
        return disk.queues() > 0 ? disk.queues() : Math.min(cpus, DiskSpec.MAX_QUEUES);
    }

    /** Every queue, named {@code diskN.qM}, with its service times. */
    List<LiveStats.Queue> queues() {
        List<LiveStats.Queue> all = new ArrayList<>();
        for (int i = 0; i < blks.size(); i++) {
            for (int q = 0; q < blks.get(i).queueCount(); q++) {
                all.add(new LiveStats.Queue(names.get(i) + ".q" + q, blks.get(i).serviceTimes(q)));
            }
        }
        return all;
    }

    List<QueueAgent> agents() {
        return dataPlane.agents();
    }

    /** Requests popped on every disk. */
    long requests() {
        long n = 0;
        for (VirtioBlkDevice b : blks) {
            n += b.sum(BlkCounter.REQUESTS);
        }
        return n;
    }

    int count() {
        return devices.size();
    }

    String name(int i) {
        return names.get(i);
    }

    String describe(int i) {
        return backends.get(i).describe() + ", " + blks.get(i).queueCount() + " queue(s)";
    }

    /** Per queue of disk {@code i}: {@code q0 requests=N interrupts=M suppressed=K; q1 ...}. */
    String queueSummary(int i) {
        VirtioBlkDevice blk = blks.get(i);
        StringBuilder sb = new StringBuilder();
        for (int q = 0; q < blk.queueCount(); q++) {
            Map<String, Long> c = new HashMap<>();
            blk.polledQueue(q).report(c::put);
            sb.append(q == 0 ? "" : "; ").append('q').append(q).append(" requests=").append(c.get("requests"))
                .append(" interrupts=").append(c.get("interrupts")).append(" interrupts_suppressed=")
                .append(c.get("interrupts_suppressed")).append(" batches=").append(c.get("batches"));
        }
        return sb.toString();
    }

    /** Notifies of disk {@code i} that exited to user space (not caught by an ioeventfd). */
    long userspaceNotifies(int i) {
        return devices.get(i).userspaceNotifies();
    }

    /** The counters of disk {@code i}: the device's, then its notifies that reached user space. */
    StatsSource stats(int i) {
        return sink -> {
            blks.get(i).report(sink);
            sink.counter("userspace_notifies", devices.get(i).userspaceNotifies());
        };
    }

    /** The queue agents' counters. */
    StatsSource agentStats() {
        return dataPlane::report;
    }

    /** Stops the queue agents (their counters stop moving); {@link #close} follows. */
    void stopAgents() {
        dataPlane.close();
    }

    @Override
    public void close() {
        // Agents first (no queue is touched after this), then the queues' I/O contexts, then the images.
        dataPlane.close();
        for (VirtioBlkDevice blk : blks) {
            blk.close();
        }
        for (BlockBackend b : backends) {
            b.close();
        }
    }

    /** Follows the notify BARs wherever the guest maps them, moving the queues' ioeventfds along. */
    private record NotifyEventFds(Vm vm, Map<VirtioPciFunction, VirtioBlkDevice> devices)
        implements BarMappingListener {
        @Override
        public void mapped(PciAddress address, PciFunction function, int bar, long base, long sizeBytes, boolean io) {
            update(function, bar, base, false);
        }

        @Override
        public void unmapped(PciAddress address, PciFunction function, int bar, long base, long sizeBytes,
                             boolean io) {
            update(function, bar, base, true);
        }

        private void update(PciFunction function, int bar, long base, boolean deassign) {
            if (!(function instanceof VirtioPciFunction fn) || !devices.containsKey(fn)) {
                return;
            }
            VirtioBlkDevice blk = devices.get(fn);
            for (int q = 0; q < blk.queueCount(); q++) {
                int fd = blk.polledQueue(q).kickEventFd();
                if (bar == fn.notifyBar()) {
                    vm.ioeventfd(base + fn.notifyOffset(q), 0, fd, false, -1, deassign);
                } else if (bar == fn.legacyBar()) {
                    // Legacy QUEUE_NOTIFY is one 16-bit port for all queues: the queue index is the data.
                    vm.ioeventfd(base + fn.legacyNotifyOffset(), 2, fd, true, q, deassign);
                }
            }
        }
    }
}
