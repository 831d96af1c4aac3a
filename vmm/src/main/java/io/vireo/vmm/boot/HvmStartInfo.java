package io.vireo.vmm.boot;

import io.vireo.dataplane.memory.GuestMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Writes {@code struct hvm_start_info} version 1 and the tables it points to: the structure a PVH kernel
 * finds in EBX at its entry point (xen/include/public/arch-x86/hvm/start_info.h).
 *
 * <pre>
 * hvm_start_info (56 bytes)           hvm_modlist_entry (32)     hvm_memmap_table_entry (24)
 * +-----+----------------+-----+      +-----+---------------+    +-----+----------+
 * |  0  | magic          | u32 |      |  0  | paddr     u64 |    |  0  | addr u64 |
 * |  4  | version (1)    | u32 |      |  8  | size      u64 |    |  8  | size u64 |
 * |  8  | flags          | u32 |      | 16  | cmdline_paddr |    | 16  | type u32 |
 * | 12  | nr_modules     | u32 |      | 24  | reserved  u64 |    | 20  | rsvd u32 |
 * | 16  | modlist_paddr  | u64 |      +-----+---------------+    +-----+----------+
 * | 24  | cmdline_paddr  | u64 |
 * | 32  | rsdp_paddr     | u64 |
 * | 40  | memmap_paddr   | u64 |   version 1 and later
 * | 48  | memmap_entries | u32 |
 * | 52  | reserved       | u32 |
 * +-----+----------------+-----+
 * </pre>
 */
public final class HvmStartInfo {
    public static final int XEN_HVM_START_MAGIC_VALUE = 0x336ec578;
    public static final int VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int FLAGS_OFFSET = 8;
    public static final int NR_MODULES_OFFSET = 12;
    public static final int MODLIST_PADDR_OFFSET = 16;
    public static final int CMDLINE_PADDR_OFFSET = 24;
    public static final int RSDP_PADDR_OFFSET = 32;
    public static final int MEMMAP_PADDR_OFFSET = 40;
    public static final int MEMMAP_ENTRIES_OFFSET = 48;
    public static final int RESERVED_OFFSET = 52;
    public static final int SIZE = 56;

    public static final int MODLIST_PADDR_ENTRY_OFFSET = 0;
    public static final int MODLIST_SIZE_ENTRY_OFFSET = 8;
    public static final int MODLIST_CMDLINE_ENTRY_OFFSET = 16;
    public static final int MODLIST_ENTRY_SIZE = 32;

    public static final int MEMMAP_ADDR_ENTRY_OFFSET = 0;
    public static final int MEMMAP_SIZE_ENTRY_OFFSET = 8;
    public static final int MEMMAP_TYPE_ENTRY_OFFSET = 16;
    public static final int MEMMAP_ENTRY_SIZE = 24;

    /**
     * A module handed to the kernel, e.g. an initrd (Linux takes module 0 as its initrd). Module command
     * lines are not supported: cmdline_paddr is written as 0.
     */
    public record Module(long gpa, long sizeBytes) {
    }

    private HvmStartInfo() {
    }

    /** As {@link #write(GuestMemory, String, List, long, List)}, with the entries of {@code memmap}. */
    public static long write(GuestMemory mem, String cmdline, E820Map memmap, long rsdpGpa, List<Module> modules) {
        return write(mem, cmdline, memmap.entries(), rsdpGpa, modules);
    }

    /**
     * Writes the command line, memory map, module list and start info at the {@link BootLayout} addresses.
     *
     * @param rsdpGpa GPA of the ACPI RSDP, or 0 for none
     * @return the GPA of the start info, for EBX at the PVH entry
     */
    public static long write(GuestMemory mem, String cmdline, List<E820Entry> memmap, long rsdpGpa,
                             List<Module> modules) {
        byte[] cmdlineBytes = BootLayout.encodeCmdline(cmdline);
        if (memmap.isEmpty() || memmap.size() > BootLayout.MEMMAP_MAX_ENTRIES) {
            throw new BootException("memory map has " + memmap.size() + " entries; PVH takes 1 to "
                + BootLayout.MEMMAP_MAX_ENTRIES);
        }
        if (modules.size() > BootLayout.MODLIST_MAX_ENTRIES) {
            throw new BootException(modules.size() + " boot modules; the limit is " + BootLayout.MODLIST_MAX_ENTRIES);
        }

        ByteBuffer map = le(memmap.size() * MEMMAP_ENTRY_SIZE);
        for (int i = 0; i < memmap.size(); i++) {
            E820Entry e = memmap.get(i);
            int at = i * MEMMAP_ENTRY_SIZE;
            map.putLong(at + MEMMAP_ADDR_ENTRY_OFFSET, e.addr());
            map.putLong(at + MEMMAP_SIZE_ENTRY_OFFSET, e.size());
            map.putInt(at + MEMMAP_TYPE_ENTRY_OFFSET, e.type());
        }

        ByteBuffer mods = le(modules.size() * MODLIST_ENTRY_SIZE);
        for (int i = 0; i < modules.size(); i++) {
            Module m = modules.get(i);
            int at = i * MODLIST_ENTRY_SIZE;
            mods.putLong(at + MODLIST_PADDR_ENTRY_OFFSET, m.gpa());
            mods.putLong(at + MODLIST_SIZE_ENTRY_OFFSET, m.sizeBytes());
        }

        ByteBuffer info = le(SIZE);
        info.putInt(MAGIC_OFFSET, XEN_HVM_START_MAGIC_VALUE);
        info.putInt(VERSION_OFFSET, VERSION);
        info.putInt(FLAGS_OFFSET, 0);
        info.putInt(NR_MODULES_OFFSET, modules.size());
        info.putLong(MODLIST_PADDR_OFFSET, modules.isEmpty() ? 0 : BootLayout.MODLIST_GPA);
        info.putLong(CMDLINE_PADDR_OFFSET, BootLayout.CMDLINE_GPA);
        info.putLong(RSDP_PADDR_OFFSET, rsdpGpa);
        info.putLong(MEMMAP_PADDR_OFFSET, BootLayout.MEMMAP_GPA);
        info.putInt(MEMMAP_ENTRIES_OFFSET, memmap.size());

        mem.write(BootLayout.CMDLINE_GPA, cmdlineBytes);
        mem.write(BootLayout.MEMMAP_GPA, map.array());
        if (!modules.isEmpty()) {
            mem.write(BootLayout.MODLIST_GPA, mods.array());
        }
        mem.write(BootLayout.START_INFO_GPA, info.array());
        return BootLayout.START_INFO_GPA;
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
