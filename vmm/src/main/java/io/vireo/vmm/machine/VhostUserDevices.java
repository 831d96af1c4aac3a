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

    private final Vm vm;
    private final MsiRoutes routes;
    private final List<External> attached = new ArrayList<>();
    private final Map<VirtioPciFunction, VhostUserDevice> byFunction = new ConcurrentHashMap<>();
    private ExecutorService control;
    private boolean closed;

    private VhostUserDevices(Vm vm, MsiRoutes routes) {
        this.vm = vm;
        this.routes = routes;
    }

    /** Builds every device of {@code configs}, puts it on {@code virtio}'s bus; close the result with the devices. */
    static VhostUserDevices attach(List<VhostUserConfig> configs, MemfdGuestMemory memory, Vm vm,
                                   VirtioDevices virtio, PciBarMapper mapper) {
        VhostUserDevices all = new VhostUserDevices(vm, virtio.routes());
        if (configs.isEmpty()) {
            return all;
        }
        mapper.addListener(all.new KickEventFds());
        int disks = 0;
        int fss = 0;
        try {
            for (VhostUserConfig c : configs) {
                boolean blk = c.kind() == VhostUserConfig.Kind.BLK;
                String name = blk ? "vudisk" + disks++ : "fs" + fss++;
                VhostUserDevice d = open(name, c, memory);
                try {
                    all.add(name, d, blk, memory, virtio);
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
    private void add(String name, VhostUserDevice device, boolean transitional, MemfdGuestMemory memory,
                     VirtioDevices virtio) {
        int[] firstGsi = new int[1];
        VirtioDevices.Slot slot = virtio.reserve(name, device, transitional);
        VirtioPciFunction fn = new VirtioPciFunction(device, memory, vector -> routes.signal(firstGsi[0] + vector),
            slot.transitional());
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
        virtio.put(slot, fn);
        String address = slot.place().toString();
        faultLog.name(name + " (" + address + ")");
        fn.faultLog(faultLog);
        synchronized (this) {
            attached.add(new External(name, address, slot.place().bdf(), device));
        }
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
