package io.vireo.vmm.machine;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.virtio.device.blk.VirtioBlkDevice;
import io.vireo.dataplane.virtio.device.blk.backend.BlockBackend;
import io.vireo.dataplane.virtio.device.net.VirtioNetDevice;
import io.vireo.dataplane.virtio.device.net.backend.NetBackend;
import io.vireo.vmm.VireoException;
import io.vireo.vmm.machine.DeviceControl.Added;
import io.vireo.vmm.machine.DeviceControl.DeviceInfo;
import io.vireo.vmm.machine.DeviceControlException.Kind;
import io.vireo.vmm.pci.PciHotplugController;
import io.vireo.vmm.pci.PciResourceAllocator;
import io.vireo.vmm.pci.PciSegments;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Hot add and hot remove of virtio-blk disks, virtio-net devices and vhost-user virtio-fs devices on a running
 * machine, through ACPI PCI hotplug ({@link PciHotplugController}).
 *
 * <p>Add: the back end is opened (a vhost-user back end connected to and negotiated with), the device placed alone in
 * the first empty slot of any segment ({@link VirtioDevices#addLive}, {@link VhostUserDevices#addLive}: agents, MSI-X
 * GSIs and irqfds, BARs from the segment's windows, the bar mapper and so the notify ioeventfds, then the bus), and the
 * guest told (PCIU bit, GPE): Linux's acpiphp rescans the slot and the virtio driver binds. The teardown after the
 * eject is each device kind's own ({@link VirtioDevices#removeLive}, {@link VhostUserDevices#removeLive}).
 *
 * <p>Remove: the guest is asked to eject (PCID bit, GPE); acpiphp unbinds the driver (which resets the device) and
 * calls {@code _EJ0}, whose B0EJ write reaches {@link #eject} on that vCPU's thread. The slot is emptied there and
 * then (the guest's next config read finds nothing); the rest, which waits on agents and closes files, runs on this
 * class's own thread ({@link VirtioDevices#removeLive}), and {@link #removeDevice} returns when it is done. A guest
 * that does not eject within the timeout leaves the device exactly as it was: the request is withdrawn and the
 * caller hears {@link Kind#NOT_EJECTED}. Only hot-added devices can be ejected: a cold-plugged device may share its
 * slot with others (multi-function), and an eject the guest writes for one is ignored, as QEMU ignores it for a
 * device that is not hot-pluggable.
 *
 * <p>Locks: control requests are serialised by {@link MachineControl}; {@code this} guards the device table, and is
 * held only briefly (never while waiting for the guest or an agent), since {@link #eject} takes it on a vCPU thread.
 * The vCPU hot path takes no lock: the bus is an atomic array, the MMIO and port dispatch are copy-on-write
 * snapshots.
 */
final class Hotplug implements MachineControl.Hotplug {
    private static final System.Logger LOG = System.getLogger(Hotplug.class.getName());

    private final VirtioDevices virtio;
    private final VhostUserDevices external;
    private final PciSegments segments;
    private final GuestMemory memory;
    private final int cpus;
    private PciHotplugController controller;
    /** Hot-added devices still present, by id, in the order added. Guarded by this. */
    private final Map<String, Hot> devices = new LinkedHashMap<>();
    /** Removals waiting for the guest's eject, by device. Guarded by this. */
    private final Map<Hot, CompletableFuture<Void>> ejecting = new HashMap<>();
    private final ExecutorService teardown = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform()
        .name("vireo-hotplug").daemon(true).unstarted(r));

    /**
     * One hot-added device: its type and options as {@code vm.info} lists them, where it is, and what takes it off
     * (after the guest ejected it, on the teardown thread).
     */
    private record Hot(String id, String type, Map<String, String> options, PciSegments.Place place,
                       Runnable teardown) {
    }

    Hotplug(VirtioDevices virtio, VhostUserDevices external, PciSegments segments, GuestMemory memory, int cpus) {
        this.virtio = virtio;
        this.external = external;
        this.segments = segments;
        this.memory = memory;
        this.cpus = cpus;
    }

    /** Set once, before the guest runs: the controller is built with this class as its ejector. */
    void controller(PciHotplugController c) {
        this.controller = c;
    }

    @Override
    public Added addDisk(String id, DiskConfig disk) throws DeviceControlException {
        PciSegments.Place place = freePlace();
        BlockBackend backend;
        try {
            backend = DiskBackends.open(disk, memory);
        } catch (RuntimeException e) {
            throw new DeviceControlException(Kind.BAD_REQUEST, "cannot open disk " + disk.name() + ": "
                + oneLine(e));
        }
        int queues = VirtioDisks.queueCount(disk, cpus);
        VirtioBlkDevice blk;
        VirtioDevices.Attached a;
        try {
            blk = new VirtioBlkDevice(backend, disk.serial(), queues, null, id);
        } catch (RuntimeException e) {
            closeQuietly(backend);
            throw new DeviceControlException(Kind.FAILED, "cannot create the virtio-blk device: " + oneLine(e));
        }
        try {
            a = virtio.addLive(id, "virtio-blk", backend.describe() + ", " + queues + " queue(s)", blk,
                blk.faultLog(), disk.pollNs(), place, blk, backend);
        } catch (RuntimeException e) {
            closeQuietly(blk);
            closeQuietly(backend);
            throw notPlaced(id, e);
        }
        return announce(new Hot(id, "virtio-blk", MachineControl.diskOptions(disk), place,
            () -> virtio.removeLive(a)), disk.name());
    }

    @Override
    public Added addNet(String id, NetConfig net, byte[] mac) throws DeviceControlException {
        PciSegments.Place place = freePlace();
        NetBackend backend;
        try {
            backend = NetBackends.open(net);
        } catch (RuntimeException e) {
            throw new DeviceControlException(Kind.BAD_REQUEST, "cannot open " + net.name() + ": " + oneLine(e));
        }
        VirtioNetDevice dev;
        try {
            dev = new VirtioNetDevice(backend, mac, net.pairs(), NetBackends.mtu(net, backend), null, id);
        } catch (IllegalArgumentException e) {
            closeQuietly(backend);
            throw new DeviceControlException(Kind.BAD_REQUEST, net.name() + ": " + oneLine(e));
        } catch (RuntimeException e) {
            closeQuietly(backend);
            throw new DeviceControlException(Kind.FAILED, "cannot create the virtio-net device: " + oneLine(e));
        }
        VirtioDevices.Attached a;
        try {
            a = virtio.addLive(id, "virtio-net", backend.describe() + ", mac " + NetConfig.format(mac) + ", "
                + net.pairs() + " queue pair(s)", dev, dev.faultLog(), net.pollNs(), place, dev, backend);
        } catch (RuntimeException e) {
            closeQuietly(dev);
            closeQuietly(backend);
            throw notPlaced(id, e);
        }
        return announce(new Hot(id, "virtio-net", MachineControl.netOptions(net, mac), place,
            () -> virtio.removeLive(a)), net.name());
    }

    @Override
    public Added addFs(String id, VhostUserConfig fs) throws DeviceControlException {
        PciSegments.Place place = freePlace();
        VhostUserDevices.Live live;
        try {
            live = external.addLive(id, fs, place, virtio);
        } catch (VireoException e) {
            throw new DeviceControlException(Kind.BAD_REQUEST, oneLine(e));
        } catch (RuntimeException e) {
            throw notPlaced(id, e);
        }
        return announce(new Hot(id, "virtio-fs", MachineControl.vhostUserOptions(fs), place,
            () -> external.removeLive(live, virtio)), fs.describe());
    }

    private PciSegments.Place freePlace() throws DeviceControlException {
        PciSegments.Place place;
        synchronized (this) {
            place = segments.freeSlot();
        }
        if (place == null) {
            throw new DeviceControlException(Kind.NO_ROOM, "no free PCI slot on any of the " + segments.count()
                + " PCI segment(s)");
        }
        return place;
    }

    private static DeviceControlException notPlaced(String id, RuntimeException e) {
        boolean full = false;
        for (Throwable t = e; t != null && !full; t = t.getCause()) {
            full = t instanceof PciResourceAllocator.NoRoomException;
        }
        return new DeviceControlException(full ? Kind.NO_ROOM : Kind.FAILED,
            "cannot put " + id + " on the bus: " + oneLine(e));
    }

    /** Records a device now on the bus and tells the guest (PCIU bit, GPE). */
    private Added announce(Hot h, String what) {
        synchronized (this) {
            devices.put(h.id(), h);
        }
        controller.requestAdd(h.place().segment(), h.place().address().device());
        LOG.log(Level.INFO, "hot-added " + h.id() + " (" + what + ") at " + h.place().bdf());
        return new Added(h.id(), h.place().bdf());
    }

    @Override
    public void removeDevice(String id, long timeoutMs) throws DeviceControlException {
        Hot h;
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (this) {
            h = devices.get(id);
            if (h == null) {
                throw new DeviceControlException(Kind.BAD_REQUEST, "device " + id
                    + " was cold-plugged; only hot-added devices can be removed");
            }
            if (ejecting.containsKey(h)) {
                throw new DeviceControlException(Kind.CONFLICT, "device " + id + " is already being removed");
            }
            ejecting.put(h, done);
        }
        PciSegments.Place place = h.place();
        controller.requestRemove(place.segment(), place.address().device());
        try {
            done.get(Math.max(0, timeoutMs), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            synchronized (this) {
                if (ejecting.remove(h) != null) {
                    controller.cancelRemove(place.segment(), place.address().device());
                    throw new DeviceControlException(Kind.NOT_EJECTED, "the guest did not eject " + id + " within "
                        + timeoutMs + " ms; it stays in place");
                }
            }
            // The guest ejected just now: the teardown is under way; wait for it.
            awaitTeardown(id, done);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeviceControlException(Kind.FAILED, "interrupted while waiting for the guest to eject " + id);
        } catch (ExecutionException e) {
            throw new DeviceControlException(Kind.FAILED, "removing " + id + " failed: " + oneLine(e.getCause()));
        }
    }

    private static void awaitTeardown(String id, CompletableFuture<Void> done) throws DeviceControlException {
        try {
            done.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeviceControlException(Kind.FAILED, "interrupted while removing " + id);
        } catch (ExecutionException | TimeoutException e) {
            throw new DeviceControlException(Kind.FAILED, "removing " + id + " failed: " + oneLine(e));
        }
    }

    /**
     * The guest's {@code _EJ0} for {@code slot} of {@code segment} (a B0EJ write, on a vCPU thread): empties the slot
     * at once and leaves the teardown to this class's thread.
     */
    void eject(int segment, int slot) {
        Hot h = null;
        CompletableFuture<Void> done;
        synchronized (this) {
            for (Hot d : devices.values()) {
                PciSegments.Place p = d.place();
                if (p.segment() == segment && p.address().device() == slot) {
                    h = d;
                    break;
                }
            }
            if (h == null) {
                LOG.log(Level.DEBUG, "guest ejected slot " + slot + " of segment " + segment
                    + ", which holds no hot-added device: ignored");
                return;
            }
            devices.remove(h.id());
            done = ejecting.remove(h);
            segments.bus(segment).removeSlot(slot);
        }
        Hot gone = h;
        teardown.execute(() -> {
            try {
                gone.teardown().run();
                LOG.log(Level.INFO, "hot-removed " + gone.id() + " (" + gone.type() + ") from "
                    + gone.place().bdf());
                if (done != null) {
                    done.complete(null);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "removing " + gone.id() + " after the guest ejected it failed", e);
                if (done != null) {
                    done.completeExceptionally(e);
                }
            }
        });
    }

    @Override
    public synchronized List<DeviceInfo> devices() {
        List<DeviceInfo> all = new ArrayList<>();
        for (Hot h : devices.values()) {
            all.add(new DeviceInfo(h.id(), h.type(), h.place().bdf(), h.options()));
        }
        return all;
    }

    /** Stops the teardown thread (at machine close; a teardown under way finishes first). */
    void close() {
        teardown.shutdown();
        try {
            teardown.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        int nl = m.indexOf('\n');
        return nl >= 0 ? m.substring(0, nl) : m;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.log(Level.DEBUG, "closing after a failed hot add", e);
        }
    }
}
