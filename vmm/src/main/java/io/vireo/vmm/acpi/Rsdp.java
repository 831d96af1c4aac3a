package io.vireo.vmm.acpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Root System Description Pointer, revision 2 (ACPI 6.5, 5.2.5.3), 36 bytes, 16-byte aligned.
 *
 * <pre>
 * +----+----------------------+      +----+-----------------------+
 * |  0 | "RSD PTR "       [8] |      | 20 | Length (36)       u32 |
 * |  8 | Checksum (bytes 0-19) |      | 24 | XsdtAddress       u64 |
 * |  9 | OEMID            [6] |      | 32 | Extended Checksum  u8 |
 * | 15 | Revision (2)      u8 |      | 33 | Reserved          [3] |
 * | 16 | RsdtAddress (0)  u32 |      +----+-----------------------+
 * +----+----------------------+
 * </pre>
 * No RSDT: an OS that understands revision 2 uses the XSDT, and every x86 OS Vireo boots does.
 */
public final class Rsdp {
    public static final int SIGNATURE_OFFSET = 0;
    public static final int CHECKSUM_OFFSET = 8;
    public static final int OEM_ID_OFFSET = 9;
    public static final int REVISION_OFFSET = 15;
    public static final int RSDT_ADDRESS_OFFSET = 16;
    public static final int LENGTH_OFFSET = 20;
    public static final int XSDT_ADDRESS_OFFSET = 24;
    public static final int EXTENDED_CHECKSUM_OFFSET = 32;
    /** The first checksum covers the ACPI 1.0 part of the structure. */
    public static final int V1_SIZE = 20;
    public static final int SIZE = 36;
    public static final int REVISION = 2;

    private Rsdp() {
    }

    public static byte[] build(long xsdtGpa) {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(SIGNATURE_OFFSET, "RSD PTR ".getBytes(StandardCharsets.US_ASCII));
        b.put(OEM_ID_OFFSET, AcpiTable.OEM_ID.getBytes(StandardCharsets.US_ASCII));
        b.put(REVISION_OFFSET, (byte) REVISION);
        b.putInt(RSDT_ADDRESS_OFFSET, 0);
        b.putInt(LENGTH_OFFSET, SIZE);
        b.putLong(XSDT_ADDRESS_OFFSET, xsdtGpa);
        byte[] t = b.array();
        t[CHECKSUM_OFFSET] = AcpiTable.checksum(t, 0, V1_SIZE);
        t[EXTENDED_CHECKSUM_OFFSET] = AcpiTable.checksum(t, 0, SIZE);
        return t;
    }
}
