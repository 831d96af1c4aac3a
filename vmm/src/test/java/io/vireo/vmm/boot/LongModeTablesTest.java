package io.vireo.vmm.boot;

import io.vireo.dataplane.memory.GuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LongModeTablesTest {
    private static final long P = 1L;
    private static final long RW = 1L << 1;
    private static final long PS = 1L << 7;
    private static final long ADDR_MASK = 0x000f_ffff_ffff_f000L;

    private TestMemory ram;
    private GuestMemory mem;

    @BeforeEach
    void setUp() {
        ram = TestMemory.ofRam(64 * TestMemory.MIB);
        mem = ram.memory();
        mem.fill(0, 0x20000, (byte) 0xee);
        LongModeTables.write(mem);
    }

    @AfterEach
    void tearDown() {
        ram.close();
    }

    private long u64(long gpa) {
        return ByteBuffer.wrap(mem.read(gpa, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private long descriptor(int selector) {
        assertTrue(selector + 7 <= LongModeTables.GDT_LIMIT, "selector 0x" + Integer.toHexString(selector)
            + " within the GDT limit");
        return u64(LongModeTables.GDT_GPA + selector);
    }

    private static int access(long d) {
        return (int) (d >>> 40) & 0xff;
    }

    private static int flags(long d) {
        return (int) (d >>> 52) & 0xf;
    }

    private static long base(long d) {
        return ((d >>> 16) & 0xff_ffff) | (((d >>> 56) & 0xff) << 24);
    }

    private static long limit(long d) {
        return (d & 0xffff) | (((d >>> 48) & 0xf) << 16);
    }

    @Test
    void shouldUseBootProtocolSelectorsWhenWritingGdt() {
        assertEquals(0x10, LongModeTables.CODE64_SELECTOR, "__BOOT_CS");
        assertEquals(0x18, LongModeTables.DATA_SELECTOR, "__BOOT_DS");
        assertEquals(0x20, LongModeTables.TSS_SELECTOR);
        assertEquals(0, u64(LongModeTables.GDT_GPA), "null descriptor");
        assertEquals(0, u64(LongModeTables.GDT_GPA + 8));
    }

    @Test
    void shouldDescribe64BitRing0CodeWhenSelectorIs0x10() {
        long d = descriptor(0x10);

        int a = access(d);
        assertEquals(1, a >>> 7, "P");
        assertEquals(0, (a >>> 5) & 3, "DPL 0");
        assertEquals(1, (a >>> 4) & 1, "S: code/data");
        assertEquals(1, (a >>> 3) & 1, "executable");
        assertEquals(1, (a >>> 1) & 1, "readable");
        int f = flags(d);
        assertEquals(1, (f >>> 1) & 1, "L: 64-bit code");
        assertEquals(0, (f >>> 2) & 1, "D must be clear when L is set (SDM 3.4.5)");
        assertEquals(0, base(d));
    }

    @Test
    void shouldDescribeFlatWritableDataWhenSelectorIs0x18() {
        long d = descriptor(0x18);

        int a = access(d);
        assertEquals(1, a >>> 7, "P");
        assertEquals(0, (a >>> 5) & 3, "DPL 0");
        assertEquals(1, (a >>> 4) & 1, "S: code/data");
        assertEquals(0, (a >>> 3) & 1, "data, not code");
        assertEquals(1, (a >>> 1) & 1, "writable");
        assertEquals(0, base(d));
        assertEquals(0xfffff, limit(d));
        assertEquals(1, flags(d) >>> 3, "G: 4 KiB granularity, so 4 GiB");
    }

    @Test
    void shouldDescribeBusyTssWhenSelectorIs0x20() {
        long d = descriptor(0x20);

        int a = access(d);
        assertEquals(1, a >>> 7, "P");
        assertEquals(0, (a >>> 4) & 1, "S: system descriptor");
        assertEquals(0xb, a & 0xf, "64-bit TSS, busy");
        assertEquals(0x67, limit(d), "104-byte TSS");
    }

    @Test
    void shouldPointPml4EntryZeroAtPdptWhenWritten() {
        long e = u64(LongModeTables.PML4_GPA);

        assertEquals(LongModeTables.PDPT_GPA, e & ADDR_MASK);
        assertEquals(P | RW, e & (P | RW));
        for (int i = 1; i < 512; i++) {
            assertEquals(0, u64(LongModeTables.PML4_GPA + 8L * i), "PML4[" + i + "] not present");
        }
    }

    @Test
    void shouldPointFourPdptEntriesAtPageDirectoriesWhenWritten() {
        for (int g = 0; g < 4; g++) {
            long e = u64(LongModeTables.PDPT_GPA + 8L * g);
            assertEquals(LongModeTables.PD_GPA + 4096L * g, e & ADDR_MASK, "PDPT[" + g + "]");
            assertEquals(P | RW, e & (P | RW | PS), "PDPT[" + g + "] is a table, not a 1 GiB page");
        }
        for (int i = 4; i < 512; i++) {
            assertEquals(0, u64(LongModeTables.PDPT_GPA + 8L * i), "PDPT[" + i + "] not present");
        }
    }

    @Test
    void shouldIdentityMapEvery2MiBPageWhenBelow4GiB() {
        ByteBuffer pd = ByteBuffer.wrap(mem.read(LongModeTables.PD_GPA, 4 * 4096)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 4 * 512; i++) {
            long e = pd.getLong(8 * i);
            assertEquals(((long) i << 21) | PS | RW | P, e, "PD entry for 0x" + Long.toHexString((long) i << 21));
        }
    }

    @Test
    void shouldMapLocalApicPageWhenWalkingFromPml4() {
        long va = 0xfee0_0000L;
        long pml4e = u64(LongModeTables.PML4_GPA + 8 * ((va >>> 39) & 0x1ff));
        long pdpte = u64((pml4e & ADDR_MASK) + 8 * ((va >>> 30) & 0x1ff));
        long pde = u64((pdpte & ADDR_MASK) + 8 * ((va >>> 21) & 0x1ff));

        assertEquals(0xfee0_0000L | PS | RW | P, pde);
        assertEquals(LongModeTables.PD_GPA + 3 * 4096 + 8 * 503, (pdpte & ADDR_MASK) + 8 * ((va >>> 21) & 0x1ff));
    }

    @Test
    void shouldKeepTablesClearOfBootDataWhenLaidOut() {
        long gdtEnd = LongModeTables.GDT_GPA + LongModeTables.GDT_LIMIT + 1;
        long pdEnd = LongModeTables.PD_GPA + 4L * 4096;
        assertTrue(gdtEnd <= BootLayout.START_INFO_GPA);
        assertTrue(LongModeTables.BOOT_STACK_GPA < LongModeTables.PML4_GPA);
        assertTrue(LongModeTables.BOOT_STACK_GPA >= LinuxLoader.ZERO_PAGE_GPA + ZeroPage.SIZE,
            "the boot stack starts above the zero page");
        assertTrue(pdEnd <= BootLayout.CMDLINE_GPA, "page tables end below the command line");
    }
}
