package io.vireo.dataplane.pci;

/**
 * What a function decodes through one Base Address Register: its kind, size (a power of two) and
 * prefetchability. A 64-bit memory BAR occupies its register and the next one (the upper half).
 *
 * <p>Size limits (PCI 3.0 6.2.5.1): memory BARs are at least 16 bytes (bits 3:0 are the type), I/O BARs
 * at least 4 (bits 1:0) and at most 256 bytes; a 32-bit memory BAR at most 2 GiB.
 */
public record PciBar(Kind kind, long sizeBytes, boolean prefetchable) {
    public static final long MIN_MEMORY_SIZE = 16;
    public static final long MIN_IO_SIZE = 4;
    public static final long MAX_IO_SIZE = 256;
    public static final long MAX_MEMORY32_SIZE = 1L << 31;
    public static final long MAX_MEMORY64_SIZE = 1L << 62;

    /** The three kinds of BAR. */
    public enum Kind {
        MEMORY32, MEMORY64, IO
    }

    public PciBar {
        if (Long.bitCount(sizeBytes) != 1) {
            throw new IllegalArgumentException("BAR size " + sizeBytes + " is not a power of two");
        }
        long min = kind == Kind.IO ? MIN_IO_SIZE : MIN_MEMORY_SIZE;
        long max = switch (kind) {
            case IO -> MAX_IO_SIZE;
            case MEMORY32 -> MAX_MEMORY32_SIZE;
            case MEMORY64 -> MAX_MEMORY64_SIZE;
        };
        if (sizeBytes < min || sizeBytes > max) {
            throw new IllegalArgumentException(kind + " BAR size 0x" + Long.toHexString(sizeBytes) + " outside 0x"
                + Long.toHexString(min) + "-0x" + Long.toHexString(max));
        }
        if (kind == Kind.IO && prefetchable) {
            throw new IllegalArgumentException("an I/O BAR cannot be prefetchable");
        }
    }

    public static PciBar memory32(long sizeBytes, boolean prefetchable) {
        return new PciBar(Kind.MEMORY32, sizeBytes, prefetchable);
    }

    public static PciBar memory64(long sizeBytes, boolean prefetchable) {
        return new PciBar(Kind.MEMORY64, sizeBytes, prefetchable);
    }

    public static PciBar io(long sizeBytes) {
        return new PciBar(Kind.IO, sizeBytes, false);
    }

    public boolean isIo() {
        return kind == Kind.IO;
    }

    public boolean is64Bit() {
        return kind == Kind.MEMORY64;
    }

    /** The read-only low bits of the BAR register: space, type and prefetchable (PCI 3.0 6.2.5.1). */
    public int typeBits() {
        return switch (kind) {
            case IO -> PciHeaderLayout.BAR_IO_SPACE;
            case MEMORY32 -> prefetchable ? PciHeaderLayout.BAR_MEM_PREFETCHABLE : 0;
            case MEMORY64 -> PciHeaderLayout.BAR_MEM_TYPE_64
                | (prefetchable ? PciHeaderLayout.BAR_MEM_PREFETCHABLE : 0);
        };
    }

    /** The address bits the guest can write: those above the size, below the register's width. */
    public long addressWriteMask() {
        long width = switch (kind) {
            case IO, MEMORY32 -> 0xffff_ffffL;
            case MEMORY64 -> -1L;
        };
        return ~(sizeBytes - 1) & width & (isIo() ? PciHeaderLayout.BAR_IO_ADDRESS_MASK
            : PciHeaderLayout.BAR_MEM_ADDRESS_MASK);
    }
}
