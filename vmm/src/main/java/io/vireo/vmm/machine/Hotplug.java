package io.vireo.vmm.machine;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.virtio.device.blk.VirtioBlkDevice;
import io.vireo.dataplane.virtio.device.blk.backend.BlockBackend;
import io.vireo.vmm.machine.DeviceControl.Added;
import io.vireo.vmm.machine.DeviceControl.DeviceInfo;
import io.vireo.vmm.machine.DeviceControlException.Kind;
import io.vireo.vmm.pci.PciHotplugController;
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
 * Hot add and hot remove of virtio-blk disks on a running machine, through ACPI PCI hotplug
 * ({@link PciHotplugController}).
 *
 * <p>Add: the back end is opened, the device placed alone in the first empty slot of any segment
 * ({@link VirtioDevices#addLive}: agents, MSI-X GSIs and irqfds, BARs from the segment's windows, the bar mapper and
 * so the notify ioeventfds, then the bus), and the guest told (PCIU bit, GPE): Linux's acpiphp rescans the slot and
 * virtio_blk binds.
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

    /** One hot-added device. */
    private record Hot(String id, DiskConfig disk, VirtioDevices.Attached attached) {
    }

    Hotplug(VirtioDevices virtio, PciSegments segments, GuestMemory memory, int cpus) {
        this.virtio = virtio;
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
        PciSegments.Place place;
        synchronized (this) {
            place = segments.freeSlot();
        }
        if (place == null) {
            throw new DeviceControlException(Kind.NO_ROOM, "no free PCI slot on any of the " + segments.count()
                + " PCI segment(s)");
        }
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
            throw new DeviceControlException(e.getMessage() != null && e.getMessage().contains("no room")
                ? Kind.NO_ROOM : Kind.FAILED, "cannot put " + id + " on the bus: " + oneLine(e));
        }
        synchronized (this) {
            devices.put(id, new Hot(id, disk, a));
        }
        controller.requestAdd(place.segment(), place.address().device());
        LOG.log(Level.INFO, "hot-added " + id + " (" + disk.name() + ") at " + place.bdf());
        return new Added(id, place.bdf());
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
        PciSegments.Place place = h.attached().place();
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
                PciSegments.Place p = d.attached().place();
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
                virtio.removeLive(gone.attached());
                LOG.log(Level.INFO, "hot-removed " + gone.id() + " (" + gone.disk().name() + ") from "
                    + gone.attached().place().bdf());
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
            all.add(new DeviceInfo(h.id(), "virtio-blk", h.attached().place().bdf(),
                MachineControl.diskOptions(h.disk())));
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
