package io.vireo.vmm.pci;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Address ranges mapped to {@link MmioHandler}s, non-overlapping: the dispatch for MMIO exits (BARs, ECAM)
 * and, with ports as addresses, for I/O BARs ({@link PciIoWindow}).
 *
 * <p>{@link #read}/{@link #write} run on vCPU threads for every exit: one volatile load of an immutable
 * snapshot (sorted bases, ends, handlers) and a binary search; no allocation, no lock. Changes
 * ({@link #register}, {@link #unregister}, e.g. when the guest moves a BAR) copy the arrays under a lock and
 * publish the new snapshot with the volatile store. An access that starts in no range reads all ones for its
 * size and writes nothing; both are counted.
 */
public final class MmioBus {
    private static final Snapshot EMPTY = new Snapshot(new long[0], new long[0], new MmioHandler[0]);

    /** Ranges {@code [bases[i], ends[i])}, sorted by base. Never modified once published. */
    private record Snapshot(long[] bases, long[] ends, MmioHandler[] handlers) {
    }

    // ORDERING: volatile publishes a fully built snapshot to vCPU threads; writers serialise on this.
    private volatile Snapshot ranges = EMPTY;
    private final AtomicLong unmappedAccesses = new AtomicLong();

    /** Maps {@code [base, base + length)} to {@code handler}; rejects an overlap or an empty/wrapping range. */
    public synchronized void register(long base, long length, MmioHandler handler) {
        if (!tryRegister(base, length, handler)) {
            throw new IllegalArgumentException("MMIO range 0x" + Long.toHexString(base) + "+0x"
                + Long.toHexString(length) + " overlaps " + describe(base, length) + " or is empty or wraps");
        }
    }

    /** As {@link #register}, but false instead of an exception (for ranges a guest chose, e.g. a moved BAR). */
    public synchronized boolean tryRegister(long base, long length, MmioHandler handler) {
        long end = base + length;
        if (base < 0 || length <= 0 || end < base) {
            return false;
        }
        Snapshot s = ranges;
        int at = insertionPoint(s.bases(), base);
        if ((at > 0 && s.ends()[at - 1] > base) || (at < s.bases().length && s.bases()[at] < end)) {
            return false;
        }
        int n = s.bases().length;
        long[] bases = new long[n + 1];
        long[] ends = new long[n + 1];
        MmioHandler[] handlers = new MmioHandler[n + 1];
        System.arraycopy(s.bases(), 0, bases, 0, at);
        System.arraycopy(s.ends(), 0, ends, 0, at);
        System.arraycopy(s.handlers(), 0, handlers, 0, at);
        bases[at] = base;
        ends[at] = end;
        handlers[at] = handler;
        System.arraycopy(s.bases(), at, bases, at + 1, n - at);
        System.arraycopy(s.ends(), at, ends, at + 1, n - at);
        System.arraycopy(s.handlers(), at, handlers, at + 1, n - at);
        ranges = new Snapshot(bases, ends, handlers);
        return true;
    }

    /** Removes the range starting at {@code base}; false if there is none. */
    public synchronized boolean unregister(long base) {
        Snapshot s = ranges;
        int i = Arrays.binarySearch(s.bases(), base);
        if (i < 0) {
            return false;
        }
        int n = s.bases().length;
        long[] bases = new long[n - 1];
        long[] ends = new long[n - 1];
        MmioHandler[] handlers = new MmioHandler[n - 1];
        System.arraycopy(s.bases(), 0, bases, 0, i);
        System.arraycopy(s.ends(), 0, ends, 0, i);
        System.arraycopy(s.handlers(), 0, handlers, 0, i);
        System.arraycopy(s.bases(), i + 1, bases, i, n - i - 1);
        System.arraycopy(s.ends(), i + 1, ends, i, n - i - 1);
        System.arraycopy(s.handlers(), i + 1, handlers, i, n - i - 1);
        ranges = new Snapshot(bases, ends, handlers);
        return true;
    }

    /** True if some range contains {@code addr}. */
    public boolean contains(long addr) {
        Snapshot s = ranges;
        return find(s, addr) >= 0;
    }

    /** Number of mapped ranges. */
    public int size() {
        return ranges.bases().length;
    }

    public long read(long addr, int size) {
        Snapshot s = ranges;
        int i = find(s, addr);
        if (i < 0) {
            unmappedAccesses.getAndIncrement();
            return allOnes(size);
        }
        return s.handlers()[i].read(addr - s.bases()[i], size);
    }

    public void write(long addr, int size, long value) {
        Snapshot s = ranges;
        int i = find(s, addr);
        if (i < 0) {
            unmappedAccesses.getAndIncrement();
            return;
        }
        s.handlers()[i].write(addr - s.bases()[i], size, value);
    }

    /** Reads and writes that hit no range since the bus was made. */
    public long unmappedAccesses() {
        return unmappedAccesses.get();
    }

    /** The low {@code size} bytes set (size 1-8; 8 or more gives all 64 bits). */
    public static long allOnes(int size) {
        return size >= 8 ? -1L : size <= 0 ? 0 : (1L << (8 * size)) - 1;
    }

    private static int find(Snapshot s, long addr) {
        long[] bases = s.bases();
        int lo = 0;
        int hi = bases.length - 1;
        // the last range whose base <= addr
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (bases[mid] <= addr) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi >= 0 && addr < s.ends()[hi] ? hi : -1;
    }

    private static int insertionPoint(long[] bases, long base) {
        int i = Arrays.binarySearch(bases, base);
        return i >= 0 ? i : -i - 1;
    }

    private String describe(long base, long length) {
        Snapshot s = ranges;
        for (int i = 0; i < s.bases().length; i++) {
            if (s.bases()[i] < base + length && base < s.ends()[i]) {
                return "0x" + Long.toHexString(s.bases()[i]) + "-0x" + Long.toHexString(s.ends()[i] - 1);
            }
        }
        return "nothing";
    }
}
