package io.vireo.dataplane.pci;

/**
 * The MSI-X capability structure, table entry and PBA (PCI Local Bus 3.0, 6.8.2; PCI Express Base 7.7.2).
 *
 * <pre>
 * capability (config space, 12 bytes)
 * +-----+-----------------------------------+-------------+-------------+
 * | +0  | Message Control (u16)             | Next ptr    | Cap ID 0x11 |
 * | +4  | Table Offset (bits 31:3)                        | Table BIR   |
 * | +8  | PBA Offset (bits 31:3)                          | PBA BIR     |
 * +-----+-------------------------------------------------+-------------+
 * Message Control: bits 10:0 table size N-1 (RO), 13:11 reserved, 14 Function Mask, 15 MSI-X Enable.
 *
 * table entry (in a BAR, 16 bytes per vector)
 * +-----+------------------------------+
 * | +0  | Message Address, bits 1:0 = 0|
 * | +4  | Message Upper Address        |
 * | +8  | Message Data                 |
 * | +12 | Vector Control: bit 0 Mask   |
 * +-----+------------------------------+
 * PBA (in a BAR): one pending bit per vector, in qwords, read-only.
 * </pre>
 */
public final class MsixLayout {
    public static final int CAP_ID = 0x11;
    public static final int CAP_SIZE = 12;
    public static final int MESSAGE_CONTROL_OFFSET = 2;
    public static final int TABLE_OFFSET_BIR_OFFSET = 4;
    public static final int PBA_OFFSET_BIR_OFFSET = 8;

    public static final int CONTROL_TABLE_SIZE_MASK = 0x7ff;
    public static final int CONTROL_FUNCTION_MASK = 1 << 14;
    public static final int CONTROL_ENABLE = 1 << 15;
    public static final int BIR_MASK = 0x7;
    /** At most 2048 vectors: table size is 11 bits of N-1. */
    public static final int MAX_VECTORS = 2048;

    public static final int ENTRY_SIZE = 16;
    public static final int ENTRY_ADDRESS_LO_OFFSET = 0;
    public static final int ENTRY_ADDRESS_HI_OFFSET = 4;
    public static final int ENTRY_DATA_OFFSET = 8;
    public static final int ENTRY_VECTOR_CONTROL_OFFSET = 12;
    public static final int VECTOR_CONTROL_MASK = 0x1;
    /** Message Address bits 1:0 are zero for dword alignment. */
    public static final long ADDRESS_LO_MASK = 0xffff_fffcL;

    private MsixLayout() {
    }

    /** Bytes of a table of {@code vectors} entries. */
    public static long tableSizeBytes(int vectors) {
        return (long) vectors * ENTRY_SIZE;
    }

    /** Bytes of a PBA for {@code vectors} entries: whole qwords. */
    public static long pbaSizeBytes(int vectors) {
        return (vectors + 63L) / 64 * 8;
    }
}
