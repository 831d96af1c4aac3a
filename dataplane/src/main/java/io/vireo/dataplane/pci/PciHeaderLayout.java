package io.vireo.dataplane.pci;

/**
 * Offsets and bits of the type-0 configuration header (PCI Local Bus 3.0, 6.1; PCI Express Base 7.5.1).
 *
 * <pre>
 * +------+-------------------+-------------------+------------------+------------------+
 * | 0x00 | Device ID         | Device ID         | Vendor ID        | Vendor ID        |
 * | 0x04 | Status                                | Command                             |
 * | 0x08 | Class code (base, sub, prog-if)                          | Revision ID      |
 * | 0x0c | BIST              | Header type       | Latency timer    | Cache line size  |
 * | 0x10 | BAR0 .. BAR5 (6 dwords, 0x10-0x27)                                           |
 * | 0x28 | CardBus CIS pointer                                                          |
 * | 0x2c | Subsystem ID                          | Subsystem vendor ID                 |
 * | 0x30 | Expansion ROM base address                                                   |
 * | 0x34 | reserved                                                 | Cap. pointer     |
 * | 0x3c | Max_Lat           | Min_Gnt           | Interrupt pin    | Interrupt line   |
 * | 0x40 | capabilities, dword aligned, linked from 0x34 ...   up to 0xff               |
 * | 0x100| PCI Express extended space (4 KiB functions only) ... up to 0xfff            |
 * +------+-------------------------------------------------------------------------------+
 * </pre>
 * Multi-byte registers are little-endian.
 */
public final class PciHeaderLayout {
    public static final int VENDOR_ID_OFFSET = 0x00;
    public static final int DEVICE_ID_OFFSET = 0x02;
    public static final int COMMAND_OFFSET = 0x04;
    public static final int STATUS_OFFSET = 0x06;
    public static final int REVISION_ID_OFFSET = 0x08;
    /** Class code: prog-if at 0x09, sub-class at 0x0a, base class at 0x0b. */
    public static final int CLASS_CODE_OFFSET = 0x09;
    public static final int CACHE_LINE_SIZE_OFFSET = 0x0c;
    public static final int LATENCY_TIMER_OFFSET = 0x0d;
    public static final int HEADER_TYPE_OFFSET = 0x0e;
    public static final int BIST_OFFSET = 0x0f;
    public static final int BAR0_OFFSET = 0x10;
    public static final int SUBSYSTEM_VENDOR_ID_OFFSET = 0x2c;
    public static final int SUBSYSTEM_ID_OFFSET = 0x2e;
    public static final int EXPANSION_ROM_OFFSET = 0x30;
    public static final int CAPABILITIES_POINTER_OFFSET = 0x34;
    public static final int INTERRUPT_LINE_OFFSET = 0x3c;
    public static final int INTERRUPT_PIN_OFFSET = 0x3d;
    /** First byte after the standard header: capabilities live from here to the end of the 256 bytes. */
    public static final int CAPABILITIES_START = 0x40;

    /** Conventional configuration space: what mechanism #1 reaches. */
    public static final int CONFIG_SIZE = 256;
    /** PCI Express configuration space of one function (ECAM, PCIe 7.2.2). */
    public static final int EXTENDED_CONFIG_SIZE = 4096;
    public static final int BAR_COUNT = 6;

    public static final int COMMAND_IO_SPACE = 1 << 0;
    public static final int COMMAND_MEMORY_SPACE = 1 << 1;
    public static final int COMMAND_BUS_MASTER = 1 << 2;
    public static final int COMMAND_INTX_DISABLE = 1 << 10;
    /** The command bits a guest may set here; the rest are hardwired to 0 (PCI 3.0 6.2.2). */
    public static final int COMMAND_WRITABLE =
        COMMAND_IO_SPACE | COMMAND_MEMORY_SPACE | COMMAND_BUS_MASTER | COMMAND_INTX_DISABLE;

    public static final int STATUS_INTERRUPT = 1 << 3;
    public static final int STATUS_CAPABILITIES_LIST = 1 << 4;
    /**
     * Error bits that are RW1C (PCI 3.0 6.2.3): master data parity error (8), signaled target abort (11),
     * received target abort (12), received master abort (13), signaled system error (14), detected parity (15).
     */
    public static final int STATUS_WRITE_ONE_TO_CLEAR = 1 << 8 | 1 << 11 | 1 << 12 | 1 << 13 | 1 << 14 | 1 << 15;

    public static final int HEADER_TYPE_MULTI_FUNCTION = 0x80;

    /** BAR bit 0: 1 for I/O space. */
    public static final int BAR_IO_SPACE = 0x1;
    /** Memory BAR bits 2:1: 00 = 32-bit, 10 = 64-bit (PCI 3.0 6.2.5.1). */
    public static final int BAR_MEM_TYPE_64 = 0x4;
    public static final int BAR_MEM_PREFETCHABLE = 0x8;
    public static final long BAR_MEM_ADDRESS_MASK = ~0xfL;
    public static final long BAR_IO_ADDRESS_MASK = ~0x3L;

    private PciHeaderLayout() {
    }

    /** Config offset of BAR register {@code index} (0-5). */
    public static int barOffset(int index) {
        return BAR0_OFFSET + 4 * index;
    }
}
