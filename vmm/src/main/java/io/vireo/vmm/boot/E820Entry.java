package io.vireo.vmm.boot;

/**
 * One range of the guest's physical memory map. Types are the ACPI address range types (ACPI 6.5, chapter 15
 * "System Address Map Interfaces"), which XEN_HVM_MEMMAP_TYPE_* in hvm_start_info reuses.
 */
public record E820Entry(long addr, long size, int type) {
    public static final int TYPE_RAM = 1;
    public static final int TYPE_RESERVED = 2;
    public static final int TYPE_ACPI = 3;
    public static final int TYPE_NVS = 4;
    public static final int TYPE_UNUSABLE = 5;

    public E820Entry {
        if (addr < 0 || size <= 0 || addr + size < addr) {
            throw new IllegalArgumentException("bad e820 range: addr=0x" + Long.toHexString(addr) + ", size=" + size);
        }
        if (type < TYPE_RAM || type > TYPE_UNUSABLE) {
            throw new IllegalArgumentException("bad e820 type " + type + " for addr=0x" + Long.toHexString(addr));
        }
    }

    /** Exclusive end address. */
    public long end() {
        return addr + size;
    }

    @Override
    public String toString() {
        return "[0x" + Long.toHexString(addr) + "-0x" + Long.toHexString(end()) + ") type " + type;
    }
}
