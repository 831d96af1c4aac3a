package io.vireo.vmm.boot;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BootLayoutTest {
    private static final long MIB = TestMemory.MIB;
    private static final long GIB = TestMemory.GIB;

    @Test
    void shouldKeepBootDataBelowKernelAndOutOfEachOther() {
        long startInfoEnd = BootLayout.START_INFO_GPA + HvmStartInfo.SIZE;
        long modlistEnd = BootLayout.MODLIST_GPA
            + (long) BootLayout.MODLIST_MAX_ENTRIES * HvmStartInfo.MODLIST_ENTRY_SIZE;
        long memmapEnd = BootLayout.MEMMAP_GPA
            + (long) BootLayout.MEMMAP_MAX_ENTRIES * HvmStartInfo.MEMMAP_ENTRY_SIZE;
        assertTrue(startInfoEnd <= BootLayout.MODLIST_GPA);
        assertTrue(modlistEnd <= BootLayout.MEMMAP_GPA);
        assertTrue(memmapEnd <= BootLayout.CMDLINE_GPA);
        assertTrue(BootLayout.CMDLINE_GPA + BootLayout.CMDLINE_MAX_BYTES <= BootLayout.EBDA_GPA);
        assertEquals(0, BootLayout.ACPI_BASE % 16);
        assertEquals(BootLayout.ACPI_END_GPA, BootLayout.KERNEL_MIN_GPA);
    }

    @Test
    void shouldPlaceInitrdPageAlignedAtTopOfLowRam() {
        try (TestMemory m = TestMemory.ofRam(256 * MIB)) {
            long at = BootLayout.placeInitrd(m.memory(), 10_000_000, 0x2000000, 4 * GIB);
            assertEquals(0, at % 4096);
            assertTrue(at + 10_000_000 <= 256 * MIB);
            assertTrue(256 * MIB - (at + 10_000_000) < 4096, "as high as alignment allows");
        }
    }

    @Test
    void shouldStayBelowMaxAddrAndInLowRegionWhenMachineIsSplit() {
        try (TestMemory m = TestMemory.ofRam(5 * GIB)) {
            long at = BootLayout.placeInitrd(m.memory(), 64 * MIB, 0x2000000, 4 * GIB);
            assertEquals(3 * GIB - 64 * MIB, at, "top of the region at 0, not the one above 4 GiB");
            long capped = BootLayout.placeInitrd(m.memory(), 64 * MIB, 0x2000000, 0x7fffffffL);
            assertTrue(capped + 64 * MIB <= 0x7fffffffL);
        }
    }

    @Test
    void shouldRejectInitrdThatDoesNotFitAboveKernel() {
        try (TestMemory m = TestMemory.ofRam(64 * MIB)) {
            BootException e = assertThrows(BootException.class,
                () -> BootLayout.placeInitrd(m.memory(), 40 * MIB, 30 * MIB, 4 * GIB));
            assertTrue(e.getMessage().startsWith("initrd is 41943040 bytes; it does not fit in RAM below 0x4000000"),
                e.getMessage());
        }
    }

    @Test
    void shouldEncodeCmdlineAsNulTerminatedAscii() {
        assertArrayEquals(new byte[] {'a', ' ', 'b', 0}, BootLayout.encodeCmdline("a b"));
        assertArrayEquals(new byte[] {0}, BootLayout.encodeCmdline(""));
    }

    @Test
    void shouldRejectCmdlineOverLimit() {
        String tooLong = "x".repeat(BootLayout.CMDLINE_MAX_BYTES);
        BootException e = assertThrows(BootException.class, () -> BootLayout.encodeCmdline(tooLong));
        assertEquals("--cmdline is 65536 bytes; the limit is 65535", e.getMessage());
        assertEquals(BootLayout.CMDLINE_MAX_BYTES, BootLayout.encodeCmdline(tooLong.substring(1)).length);
    }

    @Test
    void shouldRejectNonAsciiCmdline() {
        assertThrows(BootException.class, () -> BootLayout.encodeCmdline("root=/dev/vda é"));
        assertThrows(BootException.class, () -> BootLayout.encodeCmdline("a\0b"));
    }
}
