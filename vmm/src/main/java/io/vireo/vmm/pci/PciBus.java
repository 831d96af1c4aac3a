package io.vireo.vmm.pci;

import io.vireo.dataplane.pci.PciFunction;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

import static io.vireo.vmm.pci.PciAddress.DEVICES_PER_BUS;
import static io.vireo.vmm.pci.PciAddress.FUNCTIONS_PER_DEVICE;

/**
 * PCI bus 0: 32 device slots of 8 functions, the {@link PciHostBridge} at 00:00.0. Config accesses from
 * {@link PciConfigMechanism1} and {@link PciEcam} land here; absent functions read all ones (vendor 0xffff,
 * PCI 3.0 6.1) and ignore writes, as do other buses.
 *
 * <p>Placement ({@link #addFunction(PciFunction)}): the first 31 devices get a slot each (slots 1-31, function
 * 0), as on QEMU and Firecracker; device 32 onwards become functions 1-7 of those slots, in slot order, and the
 * slot's function 0 gets the multi-function header bit (6.2.1). That gives 248 functions on one bus: 64 disks
 * fit with no PCI-to-PCI bridge. A bridge would cost a type-1 header, bus numbering, forwarding windows the
 * guest reprograms, and ECAM for more buses; multi-function costs nothing but the header bit, and Linux (like
 * any OS) scans functions 1-7 of a multi-function device. The price: functions sharing a slot cannot be
 * hot-unplugged one at a time, which Vireo does not do.
 *
 * <p>Functions come and go while vCPUs run (hotplug, {@link #attachSlot}, {@link #removeSlot}): the table is an
 * {@link AtomicReferenceArray}, so a config access on a vCPU thread is one volatile load, no lock; changes
 * serialise on the bus.
 *
 * <p>Bus 0 of PCI segment {@link #segment()}: every segment has its own bus 0 and host bridge ({@link PciSegments}).
 */
public final class PciBus {
    public static final int HOST_BRIDGE_DEVICE = 0;
    /** Functions a guest can be given: every function of slots 1-31. */
    public static final int CAPACITY = (DEVICES_PER_BUS - 1) * FUNCTIONS_PER_DEVICE;

    // ORDERING: volatile per element: a vCPU sees a function fully built, or not at all.
    private final AtomicReferenceArray<PciFunction> slots =
        new AtomicReferenceArray<>(DEVICES_PER_BUS * FUNCTIONS_PER_DEVICE);
    private final PciHostBridge hostBridge = new PciHostBridge();
    private final int segment;

    /** One attached function and where it is. */
    public record Attached(PciAddress address, PciFunction function) {
    }

    public PciBus() {
        this(0);
    }

    /** Bus 0 of PCI segment {@code segment}. */
    public PciBus(int segment) {
        if (segment < 0 || segment > 0xffff) {
            throw new IllegalArgumentException("PCI segment " + segment + " outside 0-65535");
        }
        this.segment = segment;
        slots.set(index(HOST_BRIDGE_DEVICE, 0), hostBridge);
    }

    public int segment() {
        return segment;
    }

    private static int index(int device, int function) {
        return device * FUNCTIONS_PER_DEVICE + function;
    }

    private PciFunction at(int device, int function) {
        return slots.get(index(device, function));
    }

    public PciHostBridge hostBridge() {
        return hostBridge;
    }

    /** Attaches {@code f} at the next free place (see the class comment); returns where. */
    public synchronized PciAddress addFunction(PciFunction f) {
        PciAddress a = nextFree();
        if (a == null) {
            throw new IllegalStateException("PCI bus 0 of segment " + segment + " is full: " + CAPACITY
                + " functions in " + (DEVICES_PER_BUS - 1) + " slots of " + FUNCTIONS_PER_DEVICE);
        }
        addFunction(a, f);
        return a;
    }

    /** Where {@link #addFunction(PciFunction)} would put the next function; null when the bus is full. */
    public synchronized PciAddress nextFree() {
        for (int fn = 0; fn < FUNCTIONS_PER_DEVICE; fn++) {
            for (int dev = HOST_BRIDGE_DEVICE + 1; dev < DEVICES_PER_BUS; dev++) {
                if (at(dev, fn) == null && (fn == 0 || at(dev, 0) != null)) {
                    return new PciAddress(0, dev, fn);
                }
            }
        }
        return null;
    }

    /** The first slot with no function at all (a hotplug slot); -1 when every slot is in use. */
    public synchronized int freeSlot() {
        for (int dev = HOST_BRIDGE_DEVICE + 1; dev < DEVICES_PER_BUS; dev++) {
            if (slotEmpty(dev)) {
                return dev;
            }
        }
        return -1;
    }

    private boolean slotEmpty(int dev) {
        for (int fn = 0; fn < FUNCTIONS_PER_DEVICE; fn++) {
            if (at(dev, fn) != null) {
                return false;
            }
        }
        return true;
    }

    /**
     * Puts {@code f} alone (function 0) into the empty slot {@code device}, as a hot-added device: from the next config
     * access on, the guest finds it.
     */
    public synchronized PciAddress attachSlot(int device, PciFunction f) {
        if (device <= HOST_BRIDGE_DEVICE || device >= DEVICES_PER_BUS || !slotEmpty(device)) {
            throw new IllegalArgumentException("slot " + device + " of segment " + segment + " is not a free slot");
        }
        PciAddress a = new PciAddress(0, device, 0);
        addFunction(a, f);
        return a;
    }

    /** Takes every function out of slot {@code device} (a hot remove); the guest reads all ones there at once. */
    public synchronized void removeSlot(int device) {
        if (device <= HOST_BRIDGE_DEVICE || device >= DEVICES_PER_BUS) {
            throw new IllegalArgumentException("slot " + device + " cannot be removed");
        }
        for (int fn = FUNCTIONS_PER_DEVICE - 1; fn >= 0; fn--) {
            slots.set(index(device, fn), null);
        }
    }

    /** True if slot {@code device} holds only function 0 (a device that can be ejected on its own). */
    public synchronized boolean singleFunction(int device) {
        if (device <= HOST_BRIDGE_DEVICE || device >= DEVICES_PER_BUS || at(device, 0) == null) {
            return false;
        }
        for (int fn = 1; fn < FUNCTIONS_PER_DEVICE; fn++) {
            if (at(device, fn) != null) {
                return false;
            }
        }
        return true;
    }

    /**
     * Attaches {@code f} at {@code a} (bus 0). A function other than 0 is only found by a guest once function 0
     * of its slot exists.
     */
    public synchronized void addFunction(PciAddress a, PciFunction f) {
        if (a.bus() != 0) {
            throw new IllegalArgumentException("only bus 0 exists; cannot attach at " + a);
        }
        if (at(a.device(), a.function()) != null) {
            throw new IllegalArgumentException(a + " is taken by " + at(a.device(), a.function()).getClass()
                .getSimpleName());
        }
        // The header bit first: a guest that finds the new function finds its slot marked multi-function.
        if (a.function() != 0) {
            PciFunction f0 = at(a.device(), 0);
            if (f0 != null) {
                f0.config().setMultiFunction(true);
            }
        }
        slots.set(index(a.device(), a.function()), f);
        updateMultiFunction(a.device());
    }

    /** The function at {@code device}.{@code function} of bus 0, or null. */
    public PciFunction function(int device, int function) {
        if (device < 0 || device >= DEVICES_PER_BUS || function < 0 || function >= FUNCTIONS_PER_DEVICE) {
            return null;
        }
        return at(device, function);
    }

    /** Every attached function, host bridge first, in bus order. */
    public synchronized List<Attached> functions() {
        List<Attached> list = new ArrayList<>();
        for (int dev = 0; dev < DEVICES_PER_BUS; dev++) {
            for (int fn = 0; fn < FUNCTIONS_PER_DEVICE; fn++) {
                PciFunction f = at(dev, fn);
                if (f != null) {
                    list.add(new Attached(new PciAddress(0, dev, fn), f));
                }
            }
        }
        return list;
    }

    /**
     * A config read of {@code size} (1, 2 or 4) bytes at {@code offset}; all ones for a function that is not
     * there (the master abort a host bridge turns into 0xffffffff).
     */
    public int readConfig(int bus, int device, int function, int offset, int size) {
        PciFunction f = bus == 0 ? function(device, function) : null;
        if (f == null) {
            return size >= 4 ? -1 : (1 << (8 * size)) - 1;
        }
        return f.readConfig(offset, size);
    }

    /** A config write; dropped for a function that is not there. */
    public void writeConfig(int bus, int device, int function, int offset, int size, int value) {
        PciFunction f = bus == 0 ? function(device, function) : null;
        if (f != null) {
            f.writeConfig(offset, size, value);
        }
    }

    private void updateMultiFunction(int device) {
        PciFunction f0 = at(device, 0);
        if (f0 == null) {
            return;
        }
        boolean multi = false;
        for (int fn = 1; fn < FUNCTIONS_PER_DEVICE; fn++) {
            multi |= at(device, fn) != null;
        }
        f0.config().setMultiFunction(multi);
    }
}
