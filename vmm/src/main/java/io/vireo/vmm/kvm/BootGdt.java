package io.vireo.vmm.kvm;

import io.vireo.dataplane.memory.GuestMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The GDT a PVH guest finds at entry, so that the selectors in its segment registers name real
 * descriptors (the ABI lets the guest reload them before it loads its own GDT).
 *
 * <pre>
 *   selector  descriptor
 *   0x00      null
 *   0x08      code, 32-bit, base 0, limit 4 GiB, execute/read
 *   0x10      data, base 0, limit 4 GiB, read/write
 *   0x18      TSS, 32-bit busy, base 0, limit 0x67
 * </pre>
 */
public final class BootGdt {
    public static final int CODE32_SELECTOR = 0x08;
    public static final int DATA32_SELECTOR = 0x10;
    public static final int TSS_SELECTOR = 0x18;
    public static final int LIMIT = 4 * 8 - 1;

    private BootGdt() {
    }

    public static void write(GuestMemory memory, long gpa) {
        ByteBuffer b = ByteBuffer.allocate(LIMIT + 1).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0L);
        b.putLong(0x00cf_9b00_0000_ffffL);
        b.putLong(0x00cf_9300_0000_ffffL);
        b.putLong(0x0000_8b00_0000_0067L);
        memory.write(gpa, b.array());
    }
}
