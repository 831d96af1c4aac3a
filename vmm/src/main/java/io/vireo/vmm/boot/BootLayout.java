package io.vireo.vmm.boot;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.memory.GuestRegion;

import java.nio.charset.StandardCharsets;

/**
 * Where the boot data lives in guest-physical memory. Everything below 1 MiB belongs to Vireo; the
 * kernel must load at or above {@link #KERNEL_MIN_GPA}.
 *
 * <pre>
 * GPA                  size        what                                         e820
 * 0x00000-0x004ff      1.25 KiB    real-mode IVT + BIOS data area, left zero    RAM
 * 0x00500-0x005ff      256         boot GDT for the PVH entry (vCPU setup)      RAM
 * 0x06000-0x06037      56          struct hvm_start_info  (EBX at entry)        RAM
 * 0x06040-0x06fff      32 each     hvm_modlist_entry[]  (at most 126)           RAM
 * 0x07000-0x07bff      24 each     hvm_memmap_table_entry[]  (at most 128)      RAM
 * 0x20000-0x2ffff      64 KiB      kernel command line, NUL-terminated          RAM
 * 0x9fc00-0x9ffff      1 KiB       EBDA, unused                                 reserved
 * 0xa0000-0xdffff                  VGA hole + option ROMs, unused               (gap)
 * 0xe0000-0xfffff      128 KiB     ACPI: RSDP at 0xe0000, tables after it       reserved
 * 0x100000-            .           kernel PT_LOAD segments, then free RAM;
 *                                  the initrd goes at the top of low RAM        RAM
 * </pre>
 *
 * <p>The hvm_start_info page and the command line are plain RAM in the e820 map, as on Xen: the kernel
 * copies what it needs early (Linux: {@code xen_prepare_pvh}) and may reuse them afterwards.
 */
public final class BootLayout {
    public static final long BOOT_GDT_GPA = 0x500;
    public static final long START_INFO_GPA = 0x6000;
    public static final long MODLIST_GPA = 0x6040;
    public static final long MEMMAP_GPA = 0x7000;
    public static final int MODLIST_MAX_ENTRIES =
        (int) ((MEMMAP_GPA - MODLIST_GPA) / HvmStartInfo.MODLIST_ENTRY_SIZE);
    /** E820_MAX_ENTRIES_ZEROPAGE: Linux copies the PVH memmap into boot_params, which holds 128. */
    public static final int MEMMAP_MAX_ENTRIES = 128;
    public static final long CMDLINE_GPA = 0x20000;
    /** Room for the command line including its terminating NUL. */
    public static final int CMDLINE_MAX_BYTES = 64 * 1024;
    public static final long EBDA_GPA = 0x9fc00;
    public static final long VGA_HOLE_GPA = 0xa0000;
    public static final long ACPI_START_GPA = 0xe0000;
    /** Where {@code AcpiTables.write} puts the RSDP and the tables after it: the start of the BIOS area. */
    public static final long ACPI_BASE = ACPI_START_GPA;
    public static final long ACPI_END_GPA = 0x100000;
    public static final long KERNEL_MIN_GPA = 0x100000;
    public static final long PAGE_SIZE = 4096;

    private BootLayout() {
    }

    /**
     * The command line as the kernel reads it: ASCII, NUL-terminated, at most {@link #CMDLINE_MAX_BYTES}
     * bytes with the NUL.
     */
    public static byte[] encodeCmdline(String cmdline) {
        int limit = CMDLINE_MAX_BYTES - 1;
        if (cmdline.length() > limit) {
            throw new BootException("--cmdline is " + cmdline.length() + " bytes; the limit is " + limit);
        }
        for (int i = 0; i < cmdline.length(); i++) {
            char c = cmdline.charAt(i);
            if (c == 0 || c > 0x7f) {
                throw new BootException("--cmdline has character 0x" + Integer.toHexString(c) + " at index " + i
                    + "; the kernel command line is NUL-terminated ASCII");
            }
        }
        byte[] bytes = new byte[cmdline.length() + 1];
        System.arraycopy(cmdline.getBytes(StandardCharsets.US_ASCII), 0, bytes, 0, cmdline.length());
        return bytes;
    }

    /**
     * A page-aligned GPA for an initrd: as high as possible in the RAM region at GPA 0, ending at or
     * below {@code maxAddr}, and starting at or above {@code kernelEnd}.
     *
     * @param kernelEnd {@link LoadedKernel#highestAddrExclusive()}: the initrd goes above the kernel
     * @param maxAddr   exclusive bound the initrd must end below (e.g. the 32-bit PCI hole, a protocol's limit)
     */
    public static long placeInitrd(GuestMemory mem, long sizeBytes, long kernelEnd, long maxAddr) {
        return place(mem, sizeBytes, maxAddr, Math.max(kernelEnd, KERNEL_MIN_GPA));
    }

    /**
     * As {@link #placeInitrd(GuestMemory, long, long, long)}, but only kept clear of the boot data below
     * 1 MiB: use it when no kernel is loaded into the same RAM, otherwise pass the kernel's end.
     */
    public static long placeInitrd(GuestMemory mem, long sizeBytes, long maxAddr) {
        return place(mem, sizeBytes, maxAddr, KERNEL_MIN_GPA);
    }

    private static long place(GuestMemory mem, long sizeBytes, long maxAddr, long floor) {
        if (sizeBytes <= 0) {
            throw new BootException("initrd is empty (" + sizeBytes + " bytes)");
        }
        long top = Math.min(maxAddr, lowRamEnd(mem));
        long lowest = alignUp(floor, PAGE_SIZE);
        long start = (top - sizeBytes) & -PAGE_SIZE;
        if (top - lowest < sizeBytes || start < lowest) {
            throw new BootException("initrd is " + sizeBytes + " bytes; it does not fit in RAM below 0x"
                + Long.toHexString(top) + " (free from 0x" + Long.toHexString(lowest) + ")");
        }
        return start;
    }

    /** End of the RAM region that starts at GPA 0 (at most 3 GiB on Vireo's machine layout). */
    static long lowRamEnd(GuestMemory mem) {
        for (GuestRegion r : mem.regions()) {
            if (r.gpa() == 0) {
                return r.endGpa();
            }
        }
        throw new BootException("guest RAM has no region at GPA 0 (regions: " + PvhElfLoader.describeRam(mem) + ")");
    }

    static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }
}
