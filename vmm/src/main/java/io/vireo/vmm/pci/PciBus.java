package io.vireo.vmm.pci;

import io.vireo.dataplane.pci.PciFunction;

import java.util.ArrayList;
import java.util.List;

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
 * <p>Add every function before the vCPU threads start (starting a thread publishes the table to it); after
 * that the table is only read.
 */
public final class PciBus {
    public static final int HOST_BRIDGE_DEVICE = 0;
    /** Functions a guest can be given: every function of slots 1-31. */
    public static final int CAPACITY = (DEVICES_PER_BUS - 1) * FUNCTIONS_PER_DEVICE;

    private final PciFunction[][] slots = new PciFunction[DEVICES_PER_BUS][FUNCTIONS_PER_DEVICE];
    private final PciHostBridge hostBridge = new PciHostBridge();

    /** One attached function and where it is. */
    public record Attached(PciAddress address, PciFunction function) {
    }

    public PciBus() {
        slots[HOST_BRIDGE_DEVICE][0] = hostBridge;
    }

    public PciHostBridge hostBridge() {
        return hostBridge;
    }

    /** Attaches {@code f} at the next free place (see the class comment); returns where. */
    public synchronized PciAddress addFunction(PciFunction f) {
        for (int fn = 0; fn < FUNCTIONS_PER_DEVICE; fn++) {
            for (int dev = HOST_BRIDGE_DEVICE + 1; dev < DEVICES_PER_BUS; dev++) {
                if (slots[dev][fn] == null && (fn == 0 || slots[dev][0] != null)) {
                    PciAddress a = new PciAddress(0, dev, fn);
                    addFunction(a, f);
                    return a;
                }
            }
        }
        throw new IllegalStateException("PCI bus 0 is full: " + CAPACITY + " functions in " + (DEVICES_PER_BUS - 1)
            + " slots of " + FUNCTIONS_PER_DEVICE);
    }

    /**
     * Attaches {@code f} at {@code a} (bus 0). A function other than 0 is only found by a guest once function 0
     * of its slot exists.
     */
    public synchronized void addFunction(PciAddress a, PciFunction f) {
        if (a.bus() != 0) {
            throw new IllegalArgumentException("only bus 0 exists; cannot attach at " + a);
        }
        if (slots[a.device()][a.function()] != null) {
            throw new IllegalArgumentException(a + " is taken by "
                + slots[a.device()][a.function()].getClass().getSimpleName());
        }
        slots[a.device()][a.function()] = f;
        updateMultiFunction(a.device());
    }

    /** The function at {@code device}.{@code function} of bus 0, or null. */
    public PciFunction function(int device, int function) {
        if (device < 0 || device >= DEVICES_PER_BUS || function < 0 || function >= FUNCTIONS_PER_DEVICE) {
            return null;
        }
        return slots[device][function];
    }

    /** Every attached function, host bridge first, in bus order. */
    public synchronized List<Attached> functions() {
        List<Attached> list = new ArrayList<>();
        for (int dev = 0; dev < DEVICES_PER_BUS; dev++) {
            for (int fn = 0; fn < FUNCTIONS_PER_DEVICE; fn++) {
                if (slots[dev][fn] != null) {
                    list.add(new Attached(new PciAddress(0, dev, fn), slots[dev][fn]));
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
        PciFunction f0 = slots[device][0];
        if (f0 == null) {
            return;
        }
        boolean multi = false;
        for (int fn = 1; fn < FUNCTIONS_PER_DEVICE; fn++) {
            multi |= slots[device][fn] != null;
        }
        f0.config().setMultiFunction(multi);
    }
}
