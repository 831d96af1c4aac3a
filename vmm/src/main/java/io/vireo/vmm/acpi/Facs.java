package io.vireo.vmm.acpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Firmware ACPI Control Structure (ACPI 6.5, 5.2.10), 64 bytes, 64-byte aligned, no checksum. Vireo has no
 * sleep states to wake from, so the waking vectors stay zero; the OS still expects the structure.
 *
 * <pre>
 * +----+------------------------+      +----+--------------------------+
 * |  0 | "FACS"             [4] |      | 24 | X_Firmware_Waking_Vector |
 * |  4 | Length (64)        u32 |      | 32 | Version (2)          u8  |
 * |  8 | Hardware Signature u32 |      | 36 | OSPM Flags           u32 |
 * | 12 | Firmware_Waking_Vector |      | 40 | Reserved            [24] |
 * | 16 | Global Lock        u32 |      +----+--------------------------+
 * | 20 | Flags              u32 |
 * +----+------------------------+
 * </pre>
 */
public final class Facs {
    public static final int SIGNATURE_OFFSET = 0;
    public static final int LENGTH_OFFSET = 4;
    public static final int VERSION_OFFSET = 32;
    public static final int SIZE = 64;
    public static final int ALIGNMENT = 64;
    public static final int VERSION = 2;

    private Facs() {
    }

    public static byte[] build() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(SIGNATURE_OFFSET, "FACS".getBytes(StandardCharsets.US_ASCII));
        b.putInt(LENGTH_OFFSET, SIZE);
        b.put(VERSION_OFFSET, (byte) VERSION);
        return b.array();
    }
}
