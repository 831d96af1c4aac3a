package io.vireo.vmm.pci;

import io.vireo.dataplane.pci.PciBar;
import io.vireo.dataplane.pci.PciConfigSpace;
import io.vireo.dataplane.pci.PciHeaderLayout;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Assigns BAR addresses before boot, as firmware does: 32-bit memory BARs from the 32-bit window, 64-bit
 * memory BARs (prefetchable or not: on the root bus the OS accepts both there) from the 64-bit window,
 * I/O BARs from the I/O window; each naturally aligned (PCI 3.0 6.2.5.1: a BAR decodes a size-aligned range).
 * {@link #assign(PciBus)} places the largest BARs first so alignment wastes little. Running out is an error
 * that says how much was asked for and what was left.
 *
 * <p>After boot it serves hot-added devices the same way, from where the cold-plugged ones ended; a removed device's
 * ranges come back through {@link #release} and are handed out again first to a BAR of the same kind and size (every
 * virtio function of a type has the same BARs, so a slot's add/remove/add cycle reuses its ranges exactly).
 * Thread-safe: hot add and remove run on control threads.
 */
public final class PciResourceAllocator {
    private final PciWindows windows;
    private long nextMem32;
    private long nextMem64;
    private long nextIo;
    /** Released ranges by kind and size: {@code kind:size} to base addresses. */
    private final Map<String, ArrayDeque<Long>> free = new HashMap<>();

    public PciResourceAllocator(PciWindows windows) {
        this.windows = windows;
        nextMem32 = windows.mem32Base();
        nextMem64 = windows.mem64Base();
        nextIo = windows.ioBase();
    }

    /** An address for {@code bar} from its window; the window's cursor moves past it. */
    public synchronized long allocate(PciBar bar) {
        long size = bar.sizeBytes();
        ArrayDeque<Long> reuse = free.get(bar.kind() + ":" + size);
        if (reuse != null && !reuse.isEmpty()) {
            return reuse.pop();
        }
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

    /** Takes back {@code base}, which {@link #allocate} gave for {@code bar}. */
    public synchronized void release(PciBar bar, long base) {
        free.computeIfAbsent(bar.kind() + ":" + bar.sizeBytes(), k -> new ArrayDeque<>()).push(base);
    }

    /** Assigns every defined BAR of every function on {@code bus}, largest first. */
    public synchronized void assign(PciBus bus) {
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
            } catch (NoRoomException e) {
                throw new NoRoomException(r.at().address() + " BAR " + r.index() + ": " + e.getMessage());
            }
            r.at().function().config().setBarAddress(r.index(), a);
        }
    }

    private static long take(long next, long size, long end, String window, long base) {
        long a = (next + size - 1) & -size;
        if (a < next || a > end - size) {
            throw new NoRoomException("no room for a " + window + " BAR of 0x" + Long.toHexString(size)
                + " bytes: window 0x" + Long.toHexString(base) + "-0x" + Long.toHexString(end - 1) + ", next free 0x"
                + Long.toHexString(next));
        }
        return a;
    }

    /** A BAR window has no room left for a BAR: the bus is full (hotplug answers NO_ROOM, not a failure). */
    public static final class NoRoomException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        NoRoomException(String message) {
            super(message);
        }
    }
}
