package io.vireo.vmm.pci;

/**
 * Where BARs may live: the host bridge's windows, given to the allocator and described in the DSDT's
 * {@code _CRS}.
 *
 * <pre>
 * 0x0000_C000-0x0000_FFFF         I/O BARs (the legacy devices sit below 0x1000)
 * 0xC000_0000-0xDFFF_FFFF         32-bit memory BARs (512 MiB; the 32-bit hole starts at 3 GiB)
 * 0xE000_0000-0xE00F_FFFF         ECAM, 1 MiB for bus 0 (reserved, not a window)
 * 0xFEC0_0000, 0xFEE0_0000        IOAPIC, LAPIC
 * max(64 GiB, RAM end) + 64 GiB   64-bit memory BARs
 * </pre>
 * The 64-bit window starts at 64 GiB, or at the end of RAM rounded up to 1 GiB if RAM reaches further. A
 * fixed start keeps BAR addresses the same for every RAM size up to 64 GiB (tests, logs and the guest's own
 * printouts line up), and 64 + 64 GiB = 128 GiB stays inside the 39-bit (512 GiB) physical address space of
 * the smallest current x86 CPUs, which a guest inherits through CPUID.
 *
 * <p>With more PCI segments ({@link PciSegments}) each segment's host bridge gets an equal slice of both memory
 * windows ({@link #slice}); the I/O window stays segment 0's (an empty one, {@link #hasIo()} false, elsewhere), as on
 * Cloud Hypervisor.
 */
public record PciWindows(long mem32Base, long mem32End, long mem64Base, long mem64End, int ioBase, int ioEnd) {
    public static final long MEM32_BASE = 0xc000_0000L;
    public static final long MEM32_END = PciEcam.BASE_GPA;
    public static final long MEM64_MIN_BASE = 64L << 30;
    public static final long MEM64_SIZE = 64L << 30;
    public static final long MEM64_ALIGNMENT = 1L << 30;
    public static final int IO_BASE = 0xc000;
    public static final int IO_END = 0x10000;
    public static final int IO_SIZE = IO_END - IO_BASE;

    public PciWindows {
        if (mem32Base >= mem32End || mem64Base >= mem64End || ioBase > ioEnd || ioEnd > 0x10000 || ioBase < 0
            || mem32End > 1L << 32) {
            throw new IllegalArgumentException("bad PCI windows: " + this);
        }
    }

    /** The windows of a machine whose RAM ends (exclusive) at {@code ramEndGpa}. */
    public static PciWindows forRamEnd(long ramEndGpa) {
        long base = Math.max(MEM64_MIN_BASE, (ramEndGpa + MEM64_ALIGNMENT - 1) & -MEM64_ALIGNMENT);
        return new PciWindows(MEM32_BASE, MEM32_END, base, base + MEM64_SIZE, IO_BASE, IO_END);
    }

    /** True if the window holds I/O ports (segment 0's does). */
    public boolean hasIo() {
        return ioEnd > ioBase;
    }

    /**
     * Segment {@code segment}'s share when {@code count} segments split these windows: 1/count of each memory window
     * (1 MiB and 1 GiB aligned), the I/O window for segment 0 only.
     */
    public PciWindows slice(int segment, int count) {
        if (count < 1 || segment < 0 || segment >= count) {
            throw new IllegalArgumentException("segment " + segment + " of " + count);
        }
        if (count == 1) {
            return this;
        }
        long m32 = ((mem32End - mem32Base) / count) & -(1L << 20);
        long m64 = ((mem64End - mem64Base) / count) & -MEM64_ALIGNMENT;
        long b32 = mem32Base + segment * m32;
        long b64 = mem64Base + segment * m64;
        return segment == 0 ? new PciWindows(b32, b32 + m32, b64, b64 + m64, ioBase, ioEnd)
            : new PciWindows(b32, b32 + m32, b64, b64 + m64, ioEnd, ioEnd);
    }

    @Override
    public String toString() {
        return String.format("mem32 0x%x-0x%x, mem64 0x%x-0x%x, io 0x%x-0x%x", mem32Base, mem32End - 1, mem64Base,
            mem64End - 1, ioBase, ioEnd - 1);
    }
}
