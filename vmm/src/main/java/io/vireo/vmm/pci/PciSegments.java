package io.vireo.vmm.pci;

import io.vireo.dataplane.pci.PciBar;
import io.vireo.dataplane.pci.PciFunction;
import io.vireo.dataplane.pci.PciHeaderLayout;

import java.util.ArrayList;
import java.util.List;

/**
 * The machine's PCI segment groups (PCI Firmware 3.3, 4.1.2; ACPI 6.5, 6.5.6 {@code _SEG}): segment N is a host bridge
 * of its own with bus 0 ({@link PciBus}, {@link PciBus#CAPACITY} functions), its own 1 MiB ECAM window at
 * {@link PciEcam#baseOf}(N), and its own slice of the memory windows ({@link PciWindows#slice}). Only segment 0 is
 * also reached by configuration mechanism #1 and owns the I/O window, so only its devices can have I/O BARs.
 *
 * <p>This is Cloud Hypervisor's answer to "more than 31 slots" rather than QEMU's PCI-to-PCI bridges and expander
 * bridges: no type-1 headers, no bus numbering, no bridge windows to reserve for hotplug, and every slot on every
 * segment is a root-bus slot that ACPI hotplug reaches the same way. The guest finds segments through the MCFG (one
 * entry each) and the DSDT (one host bridge each, {@link PciAcpi}).
 *
 * <p>Each segment keeps its {@link PciResourceAllocator}, so a hot-added device's BARs come from its segment's window
 * after the cold-plugged ones, and a removed device's ranges are reused.
 */
public final class PciSegments {
    /** At most this many segments (Cloud Hypervisor allows 96; 16 x 248 functions is plenty here). */
    public static final int MAX_SEGMENTS = 16;

    private final List<PciBus> buses = new ArrayList<>();
    private final List<PciWindows> windows = new ArrayList<>();
    private final List<PciResourceAllocator> allocators = new ArrayList<>();

    /** A place on some segment's bus 0. */
    public record Place(int segment, PciAddress address) {
        /** {@code SSSS:BB:DD.F}, as Linux names devices in sysfs. */
        public String bdf() {
            return String.format("%04x:%s", segment, address);
        }

        /** As logs name it: {@code BB:DD.F} on segment 0 (as before segments), {@code SSSS:BB:DD.F} elsewhere. */
        @Override
        public String toString() {
            return segment == 0 ? address.toString() : bdf();
        }
    }

    /**
     * {@code count} segments sharing {@code all}; registers each segment's ECAM window on {@code mmio}.
     *
     * @throws IllegalArgumentException for a count outside 1-{@link #MAX_SEGMENTS}
     */
    public PciSegments(int count, PciWindows all, MmioBus mmio) {
        if (count < 1 || count > MAX_SEGMENTS) {
            throw new IllegalArgumentException("PCI segments: " + count + " outside 1-" + MAX_SEGMENTS);
        }
        for (int s = 0; s < count; s++) {
            PciBus bus = new PciBus(s);
            PciWindows w = all.slice(s, count);
            buses.add(bus);
            windows.add(w);
            allocators.add(new PciResourceAllocator(w));
            mmio.register(PciEcam.baseOf(s), PciEcam.SIZE_BYTES, new PciEcam(bus));
        }
    }

    /** The segments {@code functions} cold-plugged functions need (at least one). */
    public static int needed(int functions) {
        return Math.max(1, (functions + PciBus.CAPACITY - 1) / PciBus.CAPACITY);
    }

    public int count() {
        return buses.size();
    }

    public PciBus bus(int segment) {
        return buses.get(segment);
    }

    public PciWindows windows(int segment) {
        return windows.get(segment);
    }

    /** Where the next cold-plugged function goes: segment 0 first, packed as {@link PciBus#addFunction}; null: full. */
    public Place nextFree() {
        for (PciBus b : buses) {
            PciAddress a = b.nextFree();
            if (a != null) {
                return new Place(b.segment(), a);
            }
        }
        return null;
    }

    /** The first empty slot of any segment, for a hot-added device; null when there is none. */
    public Place freeSlot() {
        for (PciBus b : buses) {
            int slot = b.freeSlot();
            if (slot >= 0) {
                return new Place(b.segment(), new PciAddress(0, slot, 0));
            }
        }
        return null;
    }

    /** Assigns every cold-plugged BAR of every segment (before the guest runs). */
    public void assignAll() {
        for (int s = 0; s < buses.size(); s++) {
            try {
                allocators.get(s).assign(buses.get(s));
            } catch (IllegalStateException e) {
                throw new IllegalStateException("PCI segment " + s + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Gives every BAR of {@code f} (a hot-added function on {@code segment}) an address from its segment's windows;
     * all or nothing. Returns the addresses given, per BAR (0 for none), for {@link #release}: the guest may move the
     * BARs later, and what goes back to the allocator is what it gave.
     *
     * @throws IllegalStateException when a window is full (nothing stays allocated)
     */
    public long[] assign(int segment, PciFunction f) {
        PciResourceAllocator alloc = allocators.get(segment);
        long[] given = new long[PciHeaderLayout.BAR_COUNT];
        try {
            for (int i = 0; i < given.length; i++) {
                PciBar bar = f.config().bar(i);
                if (bar != null) {
                    given[i] = alloc.allocate(bar);
                    f.config().setBarAddress(i, given[i]);
                }
            }
        } catch (IllegalStateException e) {
            release(segment, f, given);
            throw e;
        }
        return given;
    }

    /** Returns the ranges {@link #assign} gave {@code f} (a removed function) for reuse. */
    public void release(int segment, PciFunction f, long[] given) {
        PciResourceAllocator alloc = allocators.get(segment);
        for (int i = 0; i < given.length; i++) {
            PciBar bar = f.config().bar(i);
            if (bar != null && given[i] != 0) {
                alloc.release(bar, given[i]);
            }
        }
    }
}
