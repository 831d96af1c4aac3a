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
import io.vireo.dataplane.virtio.VirtioDevice;
import io.vireo.dataplane.virtio.agent.AgentOwnedDevice;
import io.vireo.dataplane.virtio.agent.PolledDevice;
import io.vireo.dataplane.virtio.transport.pci.VirtioPciFunction;
import io.vireo.vmm.ExitStatus;
import io.vireo.vmm.VireoException;
import io.vireo.vmm.kvm.MsiRoutes;
import io.vireo.vmm.kvm.Vm;
import io.vireo.vmm.pci.BarMappingListener;
import io.vireo.vmm.pci.PciAddress;
import io.vireo.vmm.pci.PciBarMapper;
import io.vireo.vmm.pci.PciBus;
import io.vireo.vmm.pci.PciIntx;
import io.vireo.vmm.pci.PciSegments;
import io.vireo.vmm.pci.PciWindows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Puts virtio devices of any type on the PCI bus, one transitional virtio PCI function each, their queues served by
 * polling {@link QueueAgent}s of one {@link DataPlane}. Every queue's notify address (modern: in the notify BAR;
 * legacy: QUEUE_NOTIFY in the I/O BAR, matched on the queue index) is a KVM ioeventfd wherever the guest puts the BAR,
 * so a kick never exits to user space (and while an agent polls, the guest is told not to kick at all). Each MSI-X
 * vector is a KVM GSI routed to the message the guest programmed, raised by one write to its irqfd
 * ({@link MsiRoutes}). What is device-specific (opening back ends, building the device) is the caller's.
 *
 * <p>Placement: cold-plugged devices fill segment 0's bus, then the next segment's ({@link PciSegments#nextFree}). A
 * device is transitional (legacy I/O BAR 0 as well as the modern interface) while segment 0's 16 KiB I/O window has
 * room for its I/O BAR, and modern-only after that or on any other segment, as QEMU's {@code disable-legacy=auto}:
 * every driver since virtio 1.0 (Linux 4.0) takes the modern interface, and the I/O window would otherwise cap the
 * machine at 128 disks.
 */
final class VirtioDevices implements AutoCloseable {
    private final DataPlane dataPlane;
    private final GuestMemory memory;
    private final PciSegments segments;
    private final PciBarMapper mapper;
    private final PciIntx intx;
    private final MsiRoutes routes;
    /** Bytes of segment 0's I/O window not yet promised to a transitional device's legacy BAR. */
    private long ioLeft;
    private final List<Attached> attached = new ArrayList<>();
    private final List<AutoCloseable> afterAgents = new ArrayList<>();
    private final Map<VirtioPciFunction, PolledDevice> byFunction = new ConcurrentHashMap<>();

    /** One device on the bus. */
    static final class Attached {
        private final String name;
        private final String kind;
        private final String description;
        private final PolledDevice device;
        private final AgentOwnedDevice owned;
        private final VirtioPciFunction function;
        private final PciSegments.Place place;
        private final QueueAgent[] owners;
        private final int firstGsi;
        private final AutoCloseable[] closeAfterAgents;
        /** The BAR addresses the segment's allocator gave a hot-added device (null for a cold one). */
        private long[] given;

        @SuppressWarnings("checkstyle:ParameterNumber")
        Attached(String name, String kind, String description, PolledDevice device, AgentOwnedDevice owned,
                 VirtioPciFunction function, PciSegments.Place place, QueueAgent[] owners, int firstGsi,
                 AutoCloseable[] closeAfterAgents) {
            this.name = name;
            this.kind = kind;
            this.description = description;
            this.device = device;
            this.owned = owned;
            this.function = function;
            this.place = place;
            this.owners = owners.clone();
            this.firstGsi = firstGsi;
            this.closeAfterAgents = closeAfterAgents.clone();
        }

        String name() {
            return name;
        }

        String kind() {
            return kind;
        }

        String description() {
            return description;
        }

        PolledDevice device() {
            return device;
        }

        AgentOwnedDevice owned() {
            return owned;
        }

        VirtioPciFunction function() {
            return function;
        }

        PciSegments.Place place() {
            return place;
        }

        QueueAgent[] owners() {
            return owners.clone();
        }

        int firstGsi() {
            return firstGsi;
        }

        AutoCloseable[] closeAfterAgents() {
            return closeAfterAgents.clone();
        }

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

    private VirtioDevices(DataPlane dataPlane, GuestMemory memory, PciSegments segments, MsiRoutes routes,
                          PciBarMapper mapper, PciIntx intx) {
        this.dataPlane = dataPlane;
        this.intx = intx;
        this.mapper = mapper;
        this.memory = memory;
        this.segments = segments;
        this.routes = routes;
        PciWindows w = segments.windows(0);
        this.ioLeft = w.ioEnd() - w.ioBase();
    }

    /** Before any device is added; close the result before guest memory goes away. */
    static VirtioDevices create(GuestMemory memory, Vm vm, PciSegments segments, PciBarMapper mapper,
                                MachineConfig.Io io, CountersFile counters, List<AutoCloseable> closeables) {
        PciIntx intx = new PciIntx(vm::setIrqLine);
        DataPlane dataPlane = new DataPlane(io.threads(), io.cpus(), counters);
        MsiRoutes routes = new MsiRoutes(vm);
        VirtioDevices all = new VirtioDevices(dataPlane, memory, segments, routes, mapper, intx);
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
    synchronized Attached add(String name, String kind, String description, PolledDevice device, FaultLog faultLog,
                              long pollNs, AutoCloseable... closeAfterAgents) {
        Slot slot = reserve(name, device, true);
        PciSegments.Place place = slot.place();
        boolean transitional = slot.transitional();
        afterAgents.addAll(List.of(closeAfterAgents));
        PolledQueue[] polled = polledQueues(device);
        QueueAgent[] owners = dataPlane.place(name, polled, pollNs);
        Attached a = wire(name, kind, description, device, faultLog, place, owners, transitional, closeAfterAgents);
        segments.bus(place.segment()).addFunction(place.address(), a.function());
        attached.add(a);
        return a;
    }

    /**
     * Adds a device to the running machine, modern-only, alone in the empty slot {@code place} (a hot add): its queues
     * go to agents at once ({@link DataPlane#placeLive}), its BARs get addresses from the slot's segment, the bar
     * mapper follows them, and the function goes on the bus last, so the guest's first config read finds it
     * complete. The guest is not told: that is the hotplug controller's.
     */
    synchronized Attached addLive(String name, String kind, String description, PolledDevice device,
                                  FaultLog faultLog, long pollNs, PciSegments.Place place,
                                  AutoCloseable... closeAfterAgents) {
        PolledQueue[] polled = polledQueues(device);
        QueueAgent[] owners = dataPlane.placeLive(name, polled, pollNs);
        Attached a;
        try {
            a = wire(name, kind, description, device, faultLog, place, owners, false, closeAfterAgents);
        } catch (RuntimeException e) {
            dataPlane.removeLive(name, polled, owners);
            throw e;
        }
        try {
            a.given = segments.assign(place.segment(), a.function());
        } catch (RuntimeException e) {
            unwire(a);
            throw e;
        }
        mapper.attach(place.address(), a.function());
        segments.bus(place.segment()).attachSlot(place.address().device(), a.function());
        afterAgents.addAll(List.of(closeAfterAgents));
        attached.add(a);
        return a;
    }

    /**
     * Takes a device off a running machine, after the guest ejected it (its slot is already empty): BARs unmapped
     * (their ioeventfds deassigned), queues reset on their agents (requests in flight finish first) and taken off
     * them, MSI-X GSIs and irqfds released, then the device's resources closed in order (its queues' eventfds, the
     * back end's file), and its BAR ranges returned to the segment.
     */
    void removeLive(Attached a) {
        synchronized (this) {
            if (!attached.remove(a)) {
                return;
            }
            afterAgents.removeAll(List.of(a.closeAfterAgents()));
        }
        unwire(a);
        if (a.given != null) {
            segments.release(a.place().segment(), a.function(), a.given);
        }
        RuntimeException first = null;
        for (AutoCloseable c : a.closeAfterAgents()) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = new IllegalStateException("closing " + a.name() + "'s resources failed", e);
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private void unwire(Attached a) {
        mapper.detach(a.function());
        byFunction.remove(a.function());
        a.owned().reset();
        a.function().lowerIntx();
        dataPlane.removeLive(a.name(), polledQueues(a.device()), a.owners());
        routes.release(a.firstGsi(), a.function().msix().table().vectors());
    }

    /** Each polled queue once (a virtio-net pair serves two virtqueues): what agents take and give back. */
    private static PolledQueue[] polledQueues(PolledDevice device) {
        return AgentOwnedDevice.distinctQueues(device);
    }

    /** The function of a device whose queues {@code owners} serve, with its MSI-X vectors routed; not on a bus yet. */
    private Attached wire(String name, String kind, String description, PolledDevice device, FaultLog faultLog,
                          PciSegments.Place place, QueueAgent[] owners, boolean transitional,
                          AutoCloseable[] closeAfterAgents) {
        AgentOwnedDevice owned = new AgentOwnedDevice(device, AgentOwnedDevice.perVirtqueue(device,
            polledQueues(device), owners));
        int[] firstGsi = new int[1];
        VirtioPciFunction fn = new VirtioPciFunction(owned, memory, vector -> routes.signal(firstGsi[0] + vector),
            transitional);
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
        int segment = place.segment();
        int slot = place.address().device();
        fn.setIntx(level -> intx.set(segment, slot, level));
        // Guest faults name the device as the user knows it: its --stats name and its PCI address.
        faultLog.name(name + " (" + place + ")");
        fn.faultLog(faultLog);
        byFunction.put(fn, device);
        return new Attached(name, kind, description, device, owned, fn, place, owners, firstGsi[0],
            closeAfterAgents);
    }

    /** The MSI-X GSIs and irqfds every device shares (one routing table per VM): for devices added elsewhere. */
    MsiRoutes routes() {
        return routes;
    }

    /** Where a function built elsewhere ({@link VhostUserDevices}) goes, and whether it may have a legacy I/O BAR. */
    record Slot(PciSegments.Place place, boolean transitional) {
    }

    /**
     * Takes the next free place for a cold-plugged function built elsewhere ({@link VhostUserDevices}), with the same
     * placement and I/O-window rules as {@link #add}; {@code wantsLegacy}: the function would be transitional. The
     * caller builds the function accordingly and puts it there with {@link #put} before the next reservation.
     */
    synchronized Slot reserve(String name, VirtioDevice device, boolean wantsLegacy) {
        PciSegments.Place place = segments.nextFree();
        if (place == null) {
            throw new VireoException(ExitStatus.USAGE, "no PCI slot left for " + name + ": " + segments.count()
                + " PCI segment(s) of " + PciBus.CAPACITY + " functions are full");
        }
        long legacySize = wantsLegacy ? VirtioPciFunction.legacyIoBarSize(device) : 0;
        boolean transitional = place.segment() == 0 && legacySize > 0 && legacySize <= ioLeft;
        if (transitional) {
            ioLeft -= legacySize;
        }
        return new Slot(place, transitional);
    }

    /** Puts {@code fn} where {@link #reserve} said. */
    synchronized void put(Slot slot, VirtioPciFunction fn) {
        segments.bus(slot.place().segment()).addFunction(slot.place().address(), fn);
    }

    /** Starts the agents, after the last {@link #add}. */
    void start() {
        dataPlane.start();
    }

    synchronized List<Attached> attached() {
        return List.copyOf(attached);
    }

    List<QueueAgent> agents() {
        return dataPlane.agents();
    }

    /** Pauses every queue agent once it has finished what it holds; returns requests left in flight (0 normally). */
    int pauseAgents(long timeoutNs) {
        return dataPlane.pause(timeoutNs);
    }

    /** Restarts the agents {@link #pauseAgents} parked. */
    void resumeAgents() {
        dataPlane.resume();
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
        List<AutoCloseable> toClose;
        synchronized (this) {
            toClose = List.copyOf(afterAgents);
        }
        for (AutoCloseable c : toClose) {
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
