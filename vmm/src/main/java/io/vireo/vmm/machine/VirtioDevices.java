package io.vireo.vmm.machine;

import io.vireo.dataplane.agent.DataPlane;
import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.agent.QueueAgent;
import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.pci.MsixVectorListener;
import io.vireo.dataplane.pci.PciFunction;
import io.vireo.dataplane.stats.CountersFile;
import io.vireo.dataplane.stats.StatsSource;
import io.vireo.dataplane.virtio.FaultLog;
import io.vireo.dataplane.virtio.agent.AgentOwnedDevice;
import io.vireo.dataplane.virtio.agent.PolledDevice;
import io.vireo.dataplane.virtio.transport.pci.VirtioPciFunction;
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
 * Puts virtio devices of any type on the PCI bus, one transitional virtio PCI function each, their queues served by
 * polling {@link QueueAgent}s of one {@link DataPlane}. Every queue's notify address (modern: in the notify BAR;
 * legacy: QUEUE_NOTIFY in the I/O BAR, matched on the queue index) is a KVM ioeventfd wherever the guest puts the BAR,
 * so a kick never exits to user space (and while an agent polls, the guest is told not to kick at all). Each MSI-X
 * vector is a KVM GSI routed to the message the guest programmed, raised by one write to its irqfd
 * ({@link MsiRoutes}). What is device-specific (opening back ends, building the device) is the caller's.
 */
final class VirtioDevices implements AutoCloseable {
    private final DataPlane dataPlane;
    private final GuestMemory memory;
    private final PciBus bus;
    private final MsiRoutes routes;
    private final List<Attached> attached = new ArrayList<>();
    private final List<AutoCloseable> afterAgents = new ArrayList<>();
    private final Map<VirtioPciFunction, PolledDevice> byFunction = new HashMap<>();

    /** One device on the bus. */
    record Attached(String name, String kind, String description, PolledDevice device, AgentOwnedDevice owned,
                    VirtioPciFunction function) {

        /** Notifies that exited to user space (not caught by an ioeventfd). */
        long userspaceNotifies() {
            return owned.userspaceNotifies();
        }

        /** Per queue, its summary counters: {@code q0 requests=N batches=B interrupts=M ...; q1 ...}. */
        String queueSummary() {
            StringBuilder sb = new StringBuilder();
            for (int q = 0; q < device.queueCount(); q++) {
                PolledQueue pq = device.polledQueue(q);
                if (q > 0 && device.polledQueue(q - 1) == pq) {
                    continue; // one polled queue serving several virtqueues (a net pair): once, as qN-M
                }
                int last = q;
                while (last + 1 < device.queueCount() && device.polledQueue(last + 1) == pq) {
                    last++;
                }
                sb.append(q == 0 ? "" : "; ").append('q').append(q).append(last > q ? "-" + last : "");
                pq.counters().reportSummary((name, value) -> sb.append(' ').append(name).append('=').append(value));
            }
            return sb.toString();
        }

        /** The device's counters (when it keeps any), then its notifies that reached user space. */
        StatsSource stats() {
            return sink -> {
                if (device instanceof StatsSource s) {
                    s.report(sink);
                }
                sink.counter("userspace_notifies", owned.userspaceNotifies());
            };
        }
    }

    private VirtioDevices(DataPlane dataPlane, GuestMemory memory, PciBus bus, MsiRoutes routes) {
        this.dataPlane = dataPlane;
        this.memory = memory;
        this.bus = bus;
        this.routes = routes;
    }

    /** Before any device is added; close the result before guest memory goes away. */
    static VirtioDevices create(GuestMemory memory, Vm vm, PciBus bus, PciBarMapper mapper, MachineConfig.Io io,
                                CountersFile counters, List<AutoCloseable> closeables) {
        DataPlane dataPlane = new DataPlane(io.threads(), io.cpus(), counters);
        MsiRoutes routes = new MsiRoutes(vm);
        VirtioDevices all = new VirtioDevices(dataPlane, memory, bus, routes);
        closeables.add(all);
        closeables.add(routes);
        mapper.addListener(new NotifyEventFds(vm, all.byFunction));
        return all;
    }

    /**
     * Places the device's queues on agents and its PCI function on the bus.
     *
     * @param kind            for reports, e.g. {@code virtio-blk}
     * @param faultLog        the device's guest-fault log: named {@code NAME (PCI address)}, shared with the transport
     * @param closeAfterAgents closed in order once no agent touches a queue any more (the device, its back end)
     */
    Attached add(String name, String kind, String description, PolledDevice device, FaultLog faultLog, long pollNs,
                 AutoCloseable... closeAfterAgents) {
        afterAgents.addAll(List.of(closeAfterAgents));
        AgentOwnedDevice owned = new AgentOwnedDevice(device, AgentOwnedDevice.place(dataPlane, name, device, pollNs));
        int[] firstGsi = new int[1];
        VirtioPciFunction fn = new VirtioPciFunction(owned, memory, vector -> routes.signal(firstGsi[0] + vector),
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
        // Guest faults name the device as the user knows it: its --stats name and its PCI address.
        faultLog.name(name + " (" + bus.addFunction(fn) + ")");
        fn.faultLog(faultLog);
        byFunction.put(fn, device);
        Attached a = new Attached(name, kind, description, device, owned, fn);
        attached.add(a);
        return a;
    }

    /** Starts the agents, after the last {@link #add}. */
    void start() {
        dataPlane.start();
    }

    List<Attached> attached() {
        return List.copyOf(attached);
    }

    List<QueueAgent> agents() {
        return dataPlane.agents();
    }

    /** Stops the queue agents (their counters stop moving); {@link #close} follows. */
    void stopAgents() {
        dataPlane.close();
    }

    /** The queue agents' counters. */
    StatsSource agentStats() {
        return dataPlane::report;
    }

    @Override
    public void close() {
        // Agents first (no queue is touched after this), then what the devices asked to close, in order.
        dataPlane.close();
        RuntimeException first = null;
        for (AutoCloseable c : afterAgents) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = new IllegalStateException("closing a virtio device's resources failed", e);
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Follows the notify BARs wherever the guest maps them, moving the queues' ioeventfds along. */
    private record NotifyEventFds(Vm vm, Map<VirtioPciFunction, PolledDevice> devices) implements BarMappingListener {
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
            PolledDevice device = devices.get(fn);
            for (int q = 0; q < device.queueCount(); q++) {
                int fd = device.polledQueue(q).kickEventFd();
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
