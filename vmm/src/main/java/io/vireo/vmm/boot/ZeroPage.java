package io.vireo.vmm.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * {@code struct boot_params} (arch/x86/include/uapi/asm/bootparam.h), the "zero page" a 64-bit
 * Linux entry finds in RSI: the setup header copied from the image with the loader's fields filled
 * in, the e820 map, and the RSDP address.
 *
 * <pre>
 * offset  size        field
 * 0x070   8           acpi_rsdp_addr (protocol 2.14+)
 * 0x0c0   4           ext_ramdisk_image (high 32 bits)
 * 0x0c4   4           ext_ramdisk_size
 * 0x0c8   4           ext_cmd_line_ptr
 * 0x1e8   1           e820_entries
 * 0x1ef   1           sentinel (must stay 0)
 * 0x1f1   ...         struct setup_header (see {@link SetupHeader})
 * 0x2d0   20 x 128    e820_table: u64 addr, u64 size, u32 type (packed)
 * </pre>
 */
public final class ZeroPage {
    public static final int SIZE = 4096;
    public static final int ACPI_RSDP_ADDR_OFFSET = 0x070;
    public static final int EXT_RAMDISK_IMAGE_OFFSET = 0x0c0;
    public static final int EXT_RAMDISK_SIZE_OFFSET = 0x0c4;
    public static final int EXT_CMD_LINE_PTR_OFFSET = 0x0c8;
    public static final int E820_ENTRIES_OFFSET = 0x1e8;
    public static final int SENTINEL_OFFSET = 0x1ef;
    public static final int E820_TABLE_OFFSET = 0x2d0;
    public static final int E820_ENTRY_SIZE = 20;
    public static final int E820_MAX_ENTRIES = 128;
    /** type_of_loader 0xff: "undefined" boot loader (boot.rst). */
    public static final int LOADER_UNDEFINED = 0xff;

    private ZeroPage() {
    }

    /** Builds the zero page; the caller writes it to guest RAM. */
    public static byte[] build(byte[] image, SetupHeader header, long cmdlineGpa, long initrdGpa, long initrdSize,
                               List<E820Entry> e820, long rsdpGpa) {
        if (e820.size() > E820_MAX_ENTRIES) {
            throw new BootException("the memory map has " + e820.size() + " entries; the zero page holds "
                + E820_MAX_ENTRIES);
        }
        byte[] page = new byte[SIZE];
        // Copy the header as the image declares it (0x1f1 up to 0x202 + the jump displacement).
        System.arraycopy(image, SetupHeader.SETUP_SECTS_OFFSET, page, SetupHeader.SETUP_SECTS_OFFSET,
            header.headerEnd() - SetupHeader.SETUP_SECTS_OFFSET);
        ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
        b.put(SetupHeader.TYPE_OF_LOADER_OFFSET, (byte) LOADER_UNDEFINED);
        // CAN_USE_HEAP with heap_end_ptr: the real-mode heap limit; unused by the 64-bit entry but expected set.
        b.put(SetupHeader.LOADFLAGS_OFFSET, (byte) (header.loadflags() | SetupHeader.CAN_USE_HEAP));
        b.putShort(SetupHeader.HEAP_END_PTR_OFFSET, (short) 0xfe00);
        b.putInt(SetupHeader.CMD_LINE_PTR_OFFSET, (int) cmdlineGpa);
        b.putInt(EXT_CMD_LINE_PTR_OFFSET, (int) (cmdlineGpa >>> 32));
        b.putInt(SetupHeader.RAMDISK_IMAGE_OFFSET, (int) initrdGpa);
        b.putInt(EXT_RAMDISK_IMAGE_OFFSET, (int) (initrdGpa >>> 32));
        b.putInt(SetupHeader.RAMDISK_SIZE_OFFSET, (int) initrdSize);
        b.putInt(EXT_RAMDISK_SIZE_OFFSET, (int) (initrdSize >>> 32));
        b.putLong(ACPI_RSDP_ADDR_OFFSET, rsdpGpa);
        b.put(E820_ENTRIES_OFFSET, (byte) e820.size());
        int at = E820_TABLE_OFFSET;
        for (E820Entry e : e820) {
            b.putLong(at, e.addr());
            b.putLong(at + 8, e.size());
            b.putInt(at + 16, e.type());
            at += E820_ENTRY_SIZE;
        }
        return page;
    }
}
