package io.vireo.vmm.pci;

import io.vireo.dataplane.pci.PciBar;
import io.vireo.dataplane.pci.PciConfigSpace;
import io.vireo.dataplane.pci.PciHeaderLayout;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Assigns BAR addresses before boot, as firmware does: 32-bit memory BARs from the 32-bit window, 64-bit
 * memory BARs (prefetchable or not: on the root bus the OS accepts both there) from the 64-bit window,
 * I/O BARs from the I/O window; each naturally aligned (PCI 3.0 6.2.5.1: a BAR decodes a size-aligned range).
 * {@link #assign(PciBus)} places the largest BARs first so alignment wastes little. Running out is an error
 * that says how much was asked for and what was left.
 */
public final class PciResourceAllocator {
    private final PciWindows windows;
    private long nextMem32;
    private long nextMem64;
    private long nextIo;

    public PciResourceAllocator(PciWindows windows) {
        this.windows = windows;
        nextMem32 = windows.mem32Base();
        nextMem64 = windows.mem64Base();
        nextIo = windows.ioBase();
    }

    /** An address for {@code bar} from its window; the window's cursor moves past it. */
    public long allocate(PciBar bar) {
        long size = bar.sizeBytes();
        return switch (bar.kind()) {
            case MEMORY32 -> {
                long a = take(nextMem32, size, windows.mem32End(), "32-bit memory", windows.mem32Base());
                nextMem32 = a + size;
                yield a;
            }
            case MEMORY64 -> {
                long a = take(nextMem64, size, windows.mem64End(), "64-bit memory", windows.mem64Base());
                nextMem64 = a + size;
                yield a;
            }
            case IO -> {
                long a = take(nextIo, size, windows.ioEnd(), "I/O", windows.ioBase());
                nextIo = a + size;
                yield a;
            }
        };
    }

    /** Assigns every defined BAR of every function on {@code bus}, largest first. */
    public void assign(PciBus bus) {
        record Request(PciBus.Attached at, int index, PciBar bar) {
        }
        List<Request> requests = new ArrayList<>();
        for (PciBus.Attached at : bus.functions()) {
            PciConfigSpace c = at.function().config();
            for (int i = 0; i < PciHeaderLayout.BAR_COUNT; i++) {
                if (c.bar(i) != null) {
                    requests.add(new Request(at, i, c.bar(i)));
                }
            }
        }
        requests.sort(Comparator.comparingLong((Request r) -> r.bar().sizeBytes()).reversed());
        for (Request r : requests) {
            long a;
            try {
                a = allocate(r.bar());
            } catch (IllegalStateException e) {
                throw new IllegalStateException(r.at().address() + " BAR " + r.index() + ": " + e.getMessage(), e);
            }
            r.at().function().config().setBarAddress(r.index(), a);
        }
    }

    private static long take(long next, long size, long end, String window, long base) {
        long a = (next + size - 1) & -size;
        if (a < next || a > end - size) {
            throw new IllegalStateException("no room for a " + window + " BAR of 0x" + Long.toHexString(size)
                + " bytes: window 0x" + Long.toHexString(base) + "-0x" + Long.toHexString(end - 1) + ", next free 0x"
                + Long.toHexString(next));
        }
        return a;
    }
}
