package io.vireo.vmm.machine;

import io.vireo.dataplane.memory.MemfdGuestMemory;
import io.vireo.dataplane.pci.MsixTable;
import io.vireo.dataplane.pci.MsixVectorListener;
import io.vireo.dataplane.pci.PciFunction;
import io.vireo.dataplane.vhostuser.VhostUserDevice;
import io.vireo.dataplane.vhostuser.VhostUserPeerException;
import io.vireo.dataplane.virtio.FaultLog;
import io.vireo.dataplane.virtio.device.blk.BlkConfigLayout;
import io.vireo.dataplane.virtio.device.blk.BlkFeatures;
import io.vireo.dataplane.virtio.transport.pci.VirtioPciFunction;
import io.vireo.vmm.ExitStatus;
import io.vireo.vmm.VireoException;
import io.vireo.vmm.kvm.MsiRoutes;
import io.vireo.vmm.kvm.Vm;
import io.vireo.vmm.pci.BarMappingListener;
import io.vireo.vmm.pci.PciAddress;
import io.vireo.vmm.pci.PciBarMapper;
import io.vireo.vmm.pci.PciSegments;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The devices served by other processes ({@link VhostUserConfig}), one virtio PCI function each: connects to each
 * back end, agrees on features and reads the config where the device type has one, and wires the function so that no
 * thread of ours is in the data path: each queue's kick eventfd is its KVM ioeventfd wherever the guest maps the
 * notify BAR, and its call fd is the irqfd of the MSI-X vector the driver gave it (the GSIs shared with every other
 * device, {@link VirtioDevices#routes()}). A back end that is missing or refuses stops the machine from being built
 * with one line (exit status 2).
 *
 * <p>MSI-X changes (a vector programmed, masked, unmasked; MSI-X enabled or masked as a whole) arrive under the
 * table's lock on a vCPU thread: the call fds are re-routed on a control thread of this class instead (socket I/O,
 * the device's lock), so neither waits for the other. A masked vector's queue gets the device's spare eventfd, and
 * the vector is raised once at unmask if the back end signalled meanwhile (the pending bit).
 */
final class VhostUserDevices implements AutoCloseable {
    static final int VIRTIO_ID_BLOCK = 2;
    static final int VIRTIO_ID_FS = 26;
    /**
     * GET_CONFIG asks for the virtio-blk config up to write_zeroes_may_unmap and its padding (60 bytes): what QEMU
     * 7.2's headers (and so qemu-storage-daemon) know; the secure-erase fields after it are never offered by such a
     * back end.
     */
    static final int BLK_CONFIG_BYTES = 60;
    /** virtio-fs config: tag[36], then le32 num_request_queues. */
    static final int FS_CONFIG_BYTES = 40;

    private static final System.Logger LOG = System.getLogger(VhostUserDevices.class.getName());

    /** One device on the bus, for reports. */
    /** @param address as logs name it; @param bdf {@code SSSS:BB:DD.F} */
    record External(String name, String address, String bdf, VhostUserDevice device) {
    }

    /** A hot-added device: what {@link #removeLive} undoes. */
    record Live(External external, PciSegments.Place place, VirtioPciFunction function, int firstGsi, long[] given) {
    }

    /** A function wired to its device (MSI-X GSIs routed, call fds following the vectors), not on a bus yet. */
    private record Wired(VirtioPciFunction function, int firstGsi, String address) {
    }

    private final Vm vm;
    private final MsiRoutes routes;
    private final MemfdGuestMemory memory;
    private final List<External> attached = new ArrayList<>();
    private final Map<VirtioPciFunction, VhostUserDevice> byFunction = new ConcurrentHashMap<>();
    private ExecutorService control;
    private boolean closed;

    private VhostUserDevices(Vm vm, MsiRoutes routes, MemfdGuestMemory memory) {
        this.vm = vm;
        this.routes = routes;
        this.memory = memory;
    }

    /** Builds every device of {@code configs}, puts it on {@code virtio}'s bus; close the result with the devices. */
    static VhostUserDevices attach(List<VhostUserConfig> configs, MemfdGuestMemory memory, Vm vm,
                                   VirtioDevices virtio, PciBarMapper mapper) {
        VhostUserDevices all = new VhostUserDevices(vm, virtio.routes(), memory);
        // Always: a device may be hot-added later (addLive).
        mapper.addListener(all.new KickEventFds());
        if (configs.isEmpty()) {
            return all;
        }
        int disks = 0;
        int fss = 0;
        try {
            for (VhostUserConfig c : configs) {
                boolean blk = c.kind() == VhostUserConfig.Kind.BLK;
                String name = blk ? "vudisk" + disks++ : "fs" + fss++;
                VhostUserDevice d = open(name, c, memory);
                try {
                    all.add(name, d, blk, virtio);
                } catch (RuntimeException e) {
                    d.close();
                    throw e;
                }
            }
        } catch (RuntimeException e) {
            all.close();
            throw e;
        }
        return all;
    }

    List<External> attached() {
        return List.copyOf(attached);
    }

    private static VhostUserDevice open(String name, VhostUserConfig c, MemfdGuestMemory memory) {
        boolean blk = c.kind() == VhostUserConfig.Kind.BLK;
        int queues = blk ? c.queues() : 1 + c.queues();
        VhostUserDevice d;
        try {
            d = new VhostUserDevice(name, c.socket(), blk ? VIRTIO_ID_BLOCK : VIRTIO_ID_FS, queues, c.queueSize(),
                blk ? BLK_CONFIG_BYTES : 0, blk ? null : fsConfig(c), memory, memory.memfd(),
                line -> LOG.log(System.Logger.Level.WARNING, line));
        } catch (VhostUserPeerException e) {
            throw new VireoException(ExitStatus.USAGE, (blk ? "--disk vhost-user=" : "--fs socket=") + c.socket()
                + ": " + e.getMessage());
        }
        if (blk && (d.deviceFeatures() & BlkFeatures.MQ) != 0) {
            // The back end may have more queues than this disk uses: the driver must see the ones it has.
            d.overrideConfig(BlkConfigLayout.NUM_QUEUES_OFFSET, new byte[] {(byte) queues, (byte) (queues >>> 8)});
        }
        return d;
    }

    private static byte[] fsConfig(VhostUserConfig c) {
        ByteBuffer b = ByteBuffer.allocate(FS_CONFIG_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(c.tag().getBytes(StandardCharsets.UTF_8));
        b.putInt(36, c.queues());
        return b.array();
    }

    /** The function for {@code device}: transitional for blk (as the in-process disks), modern-only for virtio-fs. */
    private void add(String name, VhostUserDevice device, boolean transitional, VirtioDevices virtio) {
        VirtioDevices.Slot slot = virtio.reserve(name, device, transitional);
        Wired w = wire(name, device, slot.transitional(), slot.place());
        virtio.put(slot, w.function());
        synchronized (this) {
            attached.add(new External(name, w.address(), slot.place().bdf(), device));
        }
    }

    /**
     * Hot add (the caller has a free slot and tells the guest afterwards): connects to the back end, agrees on
     * features, wires a modern-only function and puts it alone in {@code place}'s empty slot.
     *
     * @throws VireoException (usage) naming the socket and why the back end cannot be used
     */
    Live addLive(String name, VhostUserConfig c, PciSegments.Place place, VirtioDevices virtio) {
        VhostUserDevice d = open(name, c, memory);
        Wired w;
        long[] given;
        try {
            w = wire(name, d, false, place);
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
        try {
            given = virtio.putLive(place, w.function());
        } catch (RuntimeException e) {
            byFunction.remove(w.function());
            routes.release(w.firstGsi(), w.function().msix().table().vectors());
            d.close();
            throw e;
        }
        External x = new External(name, w.address(), place.bdf(), d);
        synchronized (this) {
            attached.add(x);
        }
        return new Live(x, place, w.function(), w.firstGsi(), given);
    }

    /**
     * Takes a hot-added device off after the guest ejected it (its slot is already empty): BARs unmapped (the kick
     * ioeventfds deassigned), the rings stopped and the connection and eventfds closed (after any call-fd update
     * still queued), then its MSI-X GSIs and irqfds released and its BAR ranges returned.
     */
    void removeLive(Live live, VirtioDevices virtio) {
        synchronized (this) {
            if (!attached.remove(live.external())) {
                return;
            }
        }
        virtio.takeOffLive(live.place(), live.function(), live.given());
        byFunction.remove(live.function());
        VhostUserDevice d = live.external().device();
        Runnable stop = () -> {
            d.reset();
            d.close();
        };
        ExecutorService c;
        synchronized (this) {
            c = closed ? null : control;
        }
        if (c == null) {
            stop.run();
        } else {
            try {
                c.submit(stop).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                d.close();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.RejectedExecutionException e) {
                d.close();
            }
        }
        routes.release(live.firstGsi(), live.function().msix().table().vectors());
    }

    private Wired wire(String name, VhostUserDevice device, boolean transitional, PciSegments.Place place) {
        int[] firstGsi = new int[1];
        VirtioPciFunction fn = new VirtioPciFunction(device, memory, vector -> routes.signal(firstGsi[0] + vector),
            transitional);
        MsixTable table = fn.msix().table();
        firstGsi[0] = routes.allocate(table.vectors());
        int first = firstGsi[0];
        fn.setMsixVectorListener(new MsixVectorListener() {
            @Override
            public void vectorChanged(int vector, long address, int data, boolean masked) {
                if (address != 0) {
                    routes.setRoute(first + vector, address, data);
                }
                reroute(device, fn, first);
            }

            @Override
            public void functionChanged(boolean enabled, boolean functionMasked) {
                reroute(device, fn, first);
            }

            @Override
            public void deliverPending(int vector) {
                routes.signal(first + vector);
            }
        });
        device.callFds(q -> {
            int v = fn.queueVector(q);
            // A masked vector (or function) gets no irqfd: its signals wait in the device's spare eventfd and are
            // raised once at unmask (PCI MSI-X pending bits; virtio 1.2 §4.1.5.1.2).
            return v < table.vectors() && table.deliverableAcquire(v) ? routes.eventFd(first + v) : -1;
        });
        byFunction.put(fn, device);
        FaultLog faultLog = new FaultLog(name);
        String address = place.toString();
        faultLog.name(name + " (" + address + ")");
        fn.faultLog(faultLog);
        return new Wired(fn, first, address);
    }

    /** On the control thread: the device gives changed call fds to the back end; waiting signals raise vectors. */
    private synchronized void reroute(VhostUserDevice device, VirtioPciFunction fn, int firstGsi) {
        if (closed) {
            return;
        }
        if (control == null) {
            control = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("vireo-vhost-user-control")
                .daemon(true).unstarted(r));
        }
        control.execute(() -> {
            if (!byFunction.containsKey(fn)) {
                return; // hot-removed meanwhile
            }
            BitSet pending = device.reroute();
            for (int q = pending.nextSetBit(0); q >= 0; q = pending.nextSetBit(q + 1)) {
                routes.signal(firstGsi + fn.queueVector(q));
            }
        });
    }

    /** Stops the control thread and closes every device (its connection, its eventfds). */
    @Override
    public void close() {
        List<External> all;
        synchronized (this) {
            closed = true;
            if (control != null) {
                control.shutdownNow();
            }
            all = List.copyOf(attached);
            attached.clear();
        }
        for (External x : all) {
            x.device().close();
        }
    }

    /** Follows the notify BARs wherever the guest maps them, moving the queues' kick ioeventfds along. */
    private final class KickEventFds implements BarMappingListener {
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
            VhostUserDevice device = function instanceof VirtioPciFunction fn ? byFunction.get(fn) : null;
            if (device == null) {
                return;
            }
            VirtioPciFunction fn = (VirtioPciFunction) function;
            for (int q = 0; q < device.queueCount(); q++) {
                if (bar == fn.notifyBar()) {
                    vm.ioeventfd(base + fn.notifyOffset(q), 0, device.kickFd(q), false, -1, deassign);
                } else if (bar == fn.legacyBar() && fn.isTransitional()) {
                    // Legacy QUEUE_NOTIFY is one 16-bit port for all queues: the queue index is the data.
                    vm.ioeventfd(base + fn.legacyNotifyOffset(), 2, device.kickFd(q), true, q, deassign);
                }
            }
        }
    }
}
