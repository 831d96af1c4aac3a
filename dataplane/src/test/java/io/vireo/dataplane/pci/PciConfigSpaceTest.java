package io.vireo.dataplane.pci;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.vireo.dataplane.pci.PciHeaderLayout.COMMAND_OFFSET;
import static io.vireo.dataplane.pci.PciHeaderLayout.STATUS_OFFSET;
import static io.vireo.dataplane.pci.PciHeaderLayout.barOffset;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PciConfigSpaceTest {
    private static PciConfigSpace space() {
        return new PciConfigSpace(0x1af4, 0x1042, 0x010000);
    }

    @Test
    void shouldReadIdsAtEveryWidth() {
        PciConfigSpace c = space();
        c.setRevision(1);
        c.setSubsystem(0x1af4, 0x1100);

        assertEquals(0x1042_1af4, c.read(0, 4));
        assertEquals(0x1af4, c.read(0, 2));
        assertEquals(0x10, c.read(3, 1));
        assertEquals(0x1042, c.read(2, 2));
        assertEquals(0x0100_0001, c.read(8, 4), "class 01 00 00, revision 1");
        assertEquals(0x1100_1af4, c.read(0x2c, 4));
        assertEquals(0x42_1a, c.read(1, 2), "unaligned reads assemble bytes");
    }

    @Test
    void shouldNotLetGuestChangeReadOnlyIds() {
        PciConfigSpace c = space();
        for (int off = 0; off < 0x40; off++) {
            if (off < 0x04 || (off >= 0x08 && off < 0x0c) || off == 0x0e || (off >= 0x2c && off < 0x30)
                || off == 0x34 || off == 0x3d) {
                int before = c.read(off, 1);
                c.write(off, 1, ~before);
                assertEquals(before, c.read(off, 1), "offset 0x" + Integer.toHexString(off));
            }
        }
        c.write(0, 4, 0);
        assertEquals(0x1af4, c.vendorId());
        assertEquals(0x1042, c.deviceId());
        assertEquals(0x010000, c.classCode());
    }

    @Test
    void shouldKeepOnlyImplementedCommandBitsAndNotifyListener() {
        PciConfigSpace c = space();
        List<String> seen = new ArrayList<>();
        c.addCommandListener((o, n) -> seen.add(Integer.toHexString(o) + "->" + Integer.toHexString(n)));

        c.write(COMMAND_OFFSET, 2, 0xffff);

        assertEquals(0x407, c.command());
        assertTrue(c.memoryEnabled());
        assertTrue(c.ioEnabled());
        assertTrue(c.busMasterEnabled());
        assertTrue(c.intxDisabled());
        c.write(COMMAND_OFFSET, 1, 0x02);
        assertFalse(c.ioEnabled());
        assertTrue(c.memoryEnabled());
        assertFalse(c.busMasterEnabled());
        c.write(COMMAND_OFFSET, 1, 0x02);
        assertEquals(List.of("0->407", "407->402"), seen, "no call when nothing changed");
    }

    @Test
    void shouldClearStatusErrorBitsOnlyByWritingOne() {
        PciConfigSpace c = space();
        c.setRegister(STATUS_OFFSET, 2, 0x2000 | 0x0010);

        c.write(STATUS_OFFSET, 2, 0);
        assertEquals(0x2010, c.read(STATUS_OFFSET, 2), "writing 0 leaves RW1C bits alone");
        c.write(STATUS_OFFSET, 2, 0xffff);
        assertEquals(0x0010, c.read(STATUS_OFFSET, 2), "capabilities-list bit is read-only");
    }

    @Test
    void shouldLinkCapabilitiesAndSetStatusBit() {
        PciConfigSpace c = space();
        assertEquals(0, c.read(STATUS_OFFSET, 2) & PciHeaderLayout.STATUS_CAPABILITIES_LIST);

        int a = c.addCapability(0x09, (byte) 5, (byte) 1, (byte) 2);
        int b = c.addCapability(0x11, new byte[10]);
        int d = c.addCapability(0x09, (byte) 3);

        assertEquals(PciHeaderLayout.STATUS_CAPABILITIES_LIST, c.read(STATUS_OFFSET, 2) & 0x10);
        List<Integer> walk = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        for (int p = c.read(0x34, 1); p != 0; p = c.read(p + 1, 1)) {
            assertEquals(0, p & 3, "capability pointers are dword aligned");
            walk.add(p);
            ids.add(c.read(p, 1));
        }
        assertEquals(List.of(a, b, d), walk);
        assertEquals(List.of(0x09, 0x11, 0x09), ids);
        assertEquals(0x40, a);
        assertEquals(0x48, b);
        assertEquals(0x02_01_05, c.read(a + 2, 3));
        c.write(a, 4, 0);
        assertEquals(0x09, c.read(a, 1), "capabilities are read-only by default");
    }

    @Test
    void shouldRefuseCapabilityPastConfigSpace() {
        PciConfigSpace c = space();
        c.addCapability(0x09, new byte[180]);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.addCapability(0x09,
            new byte[20]));
        assertTrue(e.getMessage().contains("0xf8"), e.getMessage());
    }

    @Test
    void shouldSizeThirtyTwoBitMemoryBar() {
        PciConfigSpace c = space();
        c.defineBar(0, PciBar.memory32(0x1000, false));
        c.defineBar(1, PciBar.memory32(0x100000, true));

        c.write(barOffset(0), 4, 0xffff_ffff);
        c.write(barOffset(1), 4, 0xffff_ffff);

        assertEquals(0xffff_f000, c.read(barOffset(0), 4));
        assertEquals(0xfff0_0008, c.read(barOffset(1), 4), "prefetchable bit stays");
    }

    @Test
    void shouldSizeSixtyFourBitBarAcrossBothHalves() {
        PciConfigSpace c = space();
        c.defineBar(2, PciBar.memory64(0x4000, true));
        c.defineBar(4, PciBar.memory64(8L << 30, false));

        for (int i = 2; i < 6; i++) {
            c.write(barOffset(i), 4, 0xffff_ffff);
        }

        assertEquals(0xffff_c00c, c.read(barOffset(2), 4));
        assertEquals(0xffff_ffff, c.read(barOffset(3), 4));
        assertEquals(0x0000_0004, c.read(barOffset(4), 4), "8 GiB: no address bits in the low dword");
        assertEquals(0xffff_fffe, c.read(barOffset(5), 4));
        assertEquals(null, c.bar(3));
    }

    @Test
    void shouldSizeIoBar() {
        PciConfigSpace c = space();
        c.defineBar(5, PciBar.io(0x40));

        c.write(barOffset(5), 4, 0xffff_ffff);

        assertEquals(0xffff_ffc1, c.read(barOffset(5), 4));
    }

    @Test
    void shouldReadUnimplementedBarsAsZero() {
        PciConfigSpace c = space();
        c.write(barOffset(0), 4, 0xffff_ffff);
        c.write(PciHeaderLayout.EXPANSION_ROM_OFFSET, 4, 0xffff_ffff);

        assertEquals(0, c.read(barOffset(0), 4));
        assertEquals(0, c.read(PciHeaderLayout.EXPANSION_ROM_OFFSET, 4));
    }

    @Test
    void shouldDecodeMovedBarsAndNotifyListener() {
        PciConfigSpace c = space();
        c.defineBar(0, PciBar.memory32(0x1000, false));
        c.defineBar(2, PciBar.memory64(0x4000, true));
        c.defineBar(4, PciBar.io(0x20));
        List<String> moves = new ArrayList<>();
        c.addBarListener((bar, o, n) -> moves.add(bar + ":" + Long.toHexString(o) + "->" + Long.toHexString(n)));

        c.setBarAddress(0, 0xc000_0000L);
        c.write(barOffset(0), 4, 0xc000_1234);
        c.write(barOffset(2), 4, 0x0000_8000);
        c.write(barOffset(3), 4, 0x10);
        c.write(barOffset(4), 2, 0xc041);
        c.write(barOffset(0), 4, 0xc000_1000);

        assertEquals(0xc000_1000L, c.barAddress(0));
        assertEquals(0x10_0000_8000L, c.barAddress(2));
        assertEquals(0xc040, c.barAddress(4));
        assertEquals(List.of("0:0->c0000000", "0:c0000000->c0001000", "2:0->8000", "2:8000->1000008000",
            "4:0->c040"), moves, "bits below the size are dropped; the last BAR0 write changed nothing");
    }

    @Test
    void shouldRejectMisalignedFirmwareAssignment() {
        PciConfigSpace c = space();
        c.defineBar(0, PciBar.memory32(0x1000, false));
        assertThrows(IllegalArgumentException.class, () -> c.setBarAddress(0, 0xc000_0800L));
        assertThrows(IllegalArgumentException.class, () -> c.setBarAddress(0, 0x1_0000_0000L));
        assertThrows(IllegalArgumentException.class, () -> c.setBarAddress(1, 0));
        assertThrows(IllegalArgumentException.class, () -> c.defineBar(5, PciBar.memory64(0x1000, false)));
        c.defineBar(2, PciBar.memory64(0x1000, false));
        assertThrows(IllegalArgumentException.class, () -> c.defineBar(3, PciBar.io(4)));
    }

    @Test
    void shouldRejectBadBarShapes() {
        assertThrows(IllegalArgumentException.class, () -> PciBar.memory32(0x3000, false));
        assertThrows(IllegalArgumentException.class, () -> PciBar.memory32(8, false));
        assertThrows(IllegalArgumentException.class, () -> PciBar.io(512));
        assertThrows(IllegalArgumentException.class, () -> PciBar.io(2));
    }

    @Test
    void shouldSetMultiFunctionBitOnly() {
        PciConfigSpace c = space();
        c.setMultiFunction(true);
        assertEquals(0x80, c.read(PciHeaderLayout.HEADER_TYPE_OFFSET, 1));
        c.setMultiFunction(false);
        assertEquals(0, c.read(PciHeaderLayout.HEADER_TYPE_OFFSET, 1));
    }

    @Test
    void shouldReadZeroBeyondConventionalSpaceAndKeepExtendedSpace() {
        PciConfigSpace conventional = space();
        PciConfigSpace express = new PciConfigSpace(0x1af4, 0x1042, 0x010000, true);

        assertEquals(256, conventional.sizeBytes());
        assertEquals(4096, express.sizeBytes());
        assertEquals(0, conventional.read(0x100, 4));
        assertEquals(0, conventional.read(0xfe, 4) >>> 16, "bytes past the end read 0");
        assertEquals(0, express.read(0xffc, 4));
    }

    @Test
    void shouldNeverThrowOnHostileAccesses() {
        PciConfigSpace c = space();
        c.defineBar(0, PciBar.memory64(0x1000, false));
        c.defineBar(2, PciBar.io(0x10));
        new MsixCapability(c, 4, 0, 0, 0, 0x800, new RecordingMsixListener());
        byte[] ids = new byte[4];
        for (int i = 0; i < 4; i++) {
            ids[i] = (byte) c.read(i, 1);
        }
        Random r = new Random(42);
        int[] offsets = {-1, Integer.MIN_VALUE, Integer.MAX_VALUE, 255, 256, 4095, 4096, 0xfffd};
        int[] sizes = {-1, 0, 1, 2, 3, 4, 5, 8, Integer.MAX_VALUE};
        for (int off : offsets) {
            for (int size : sizes) {
                c.read(off, size);
                c.write(off, size, -1);
            }
        }
        for (int i = 0; i < 100_000; i++) {
            int off = r.nextInt(300) - 20;
            int size = r.nextInt(6);
            c.write(off, size, r.nextInt());
            c.read(off, size);
        }
        byte[] after = new byte[4];
        for (int i = 0; i < 4; i++) {
            after[i] = (byte) c.read(i, 1);
        }
        assertArrayEquals(ids, after);
    }
}
