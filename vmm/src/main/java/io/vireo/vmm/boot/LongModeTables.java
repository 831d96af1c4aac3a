package io.vireo.vmm.boot;

import io.vireo.dataplane.memory.GuestMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What a 64-bit Linux entry needs in memory besides the kernel: identity-mapped page tables and a
 * GDT whose selectors match the boot protocol (__BOOT_CS = 0x10, __BOOT_DS = 0x18).
 *
 * <pre>
 * GPA      what
 * 0x00500  GDT: 0x00 null, 0x08 null, 0x10 code64, 0x18 data, 0x20 TSS (16 bytes)
 * 0x09000  PML4   (entry 0 -> PDPT)
 * 0x0a000  PDPT   (entries 0..3 -> PD0..PD3)
 * 0x0b000  PD0..PD3, 2 MiB pages identity-mapping 0-4 GiB (the kernel builds its own tables at once)
 * </pre>
 */
public final class LongModeTables {
    public static final long GDT_GPA = BootLayout.BOOT_GDT_GPA;
    public static final int CODE64_SELECTOR = 0x10;
    public static final int DATA_SELECTOR = 0x18;
    public static final int TSS_SELECTOR = 0x20;
    /** The TSS descriptor is 16 bytes in long mode (SDM vol. 3, 8.2.3), so six 8-byte slots. */
    public static final int GDT_LIMIT = 6 * 8 - 1;
    public static final long PML4_GPA = 0x9000;
    public static final long PDPT_GPA = 0xa000;
    public static final long PD_GPA = 0xb000;
    public static final int MAPPED_GIB = 4;
    /** A stack for the entry: the kernel switches to its own at once; this just keeps RSP sane. */
    public static final long BOOT_STACK_GPA = 0x8ff0;

    private static final long PRESENT_RW = 0x3;
    private static final long PAGE_SIZE_2M = 0x80;

    private LongModeTables() {
    }

    public static void write(GuestMemory mem) {
        ByteBuffer gdt = ByteBuffer.allocate(GDT_LIMIT + 1).order(ByteOrder.LITTLE_ENDIAN);
        gdt.putLong(0L);
        gdt.putLong(0L);
        gdt.putLong(0x00af_9b00_0000_ffffL); // code: L=1, present, DPL0, execute/read, accessed
        gdt.putLong(0x00cf_9300_0000_ffffL); // data: 4 GiB, read/write, accessed
        gdt.putLong(0x0080_8b00_0000_0067L); // TSS: busy, base 0, limit 0x67
        gdt.putLong(0L);                     // TSS: base bits 63:32, reserved
        mem.write(GDT_GPA, gdt.array());

        ByteBuffer pml4 = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        pml4.putLong(0, PDPT_GPA | PRESENT_RW);
        mem.write(PML4_GPA, pml4.array());
        ByteBuffer pdpt = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer pd = ByteBuffer.allocate(4096 * MAPPED_GIB).order(ByteOrder.LITTLE_ENDIAN);
        for (int g = 0; g < MAPPED_GIB; g++) {
            pdpt.putLong(g * 8, (PD_GPA + g * 4096L) | PRESENT_RW);
            for (int i = 0; i < 512; i++) {
                long addr = ((long) g << 30) | ((long) i << 21);
                pd.putLong((g * 512 + i) * 8, addr | PRESENT_RW | PAGE_SIZE_2M);
            }
        }
        mem.write(PDPT_GPA, pdpt.array());
        mem.write(PD_GPA, pd.array());
    }
}
