package io.vireo.vmm.pci;

import io.vireo.dataplane.pci.PciBar;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PciResourceAllocatorTest {
    private static final long GIB = 1L << 30;

    @Test
    void shouldPlaceSixtyFourBitWindowAtSixtyFourGibOrAfterRam() {
        assertEquals(64 * GIB, PciWindows.forRamEnd(5 * GIB).mem64Base());
        assertEquals(128 * GIB, PciWindows.forRamEnd(5 * GIB).mem64End());
        assertEquals(65 * GIB, PciWindows.forRamEnd(64 * GIB + 1).mem64Base(), "rounded up to 1 GiB");
        PciWindows w = PciWindows.forRamEnd(0);
        assertEquals(0xc000_0000L, w.mem32Base());
        assertEquals(0xe000_0000L, w.mem32End());
        assertEquals(0xc000, w.ioBase());
        assertEquals(0x10000, w.ioEnd());
    }

    @Test
    void shouldAlignEachBarNaturally() {
        PciResourceAllocator a = new PciResourceAllocator(PciWindows.forRamEnd(GIB));

        assertEquals(0xc000_0000L, a.allocate(PciBar.memory32(0x1000, false)));
        assertEquals(0xc010_0000L, a.allocate(PciBar.memory32(0x100000, false)));
        assertEquals(0xc020_0000L, a.allocate(PciBar.memory32(0x10, false)));
        assertEquals(0xc020_0010L, a.allocate(PciBar.memory32(0x10, true)));
        assertEquals(64 * GIB, a.allocate(PciBar.memory64(0x4000, true)));
        assertEquals(66 * GIB, a.allocate(PciBar.memory64(2 * GIB, false)));
        assertEquals(0xc000, a.allocate(PciBar.io(0x20)));
        assertEquals(0xc100, a.allocate(PciBar.io(0x100)));
    }

    @Test
    void shouldFailWithNumbersWhenWindowRunsOut() {
        PciResourceAllocator a = new PciResourceAllocator(PciWindows.forRamEnd(GIB));
        a.allocate(PciBar.memory32(256L << 20, false));
        a.allocate(PciBar.memory32(128L << 20, false));

        PciResourceAllocator.NoRoomException e = assertThrows(PciResourceAllocator.NoRoomException.class,
            () -> a.allocate(PciBar.memory32(256L << 20, false)));

        assertTrue(e.getMessage().contains("32-bit memory BAR of 0x10000000 bytes: window 0xc0000000-0xdfffffff,"
            + " next free 0xd8000000"), e.getMessage());
        for (int i = 0; i < 64; i++) {
            a.allocate(PciBar.io(0x100));
        }
        assertThrows(PciResourceAllocator.NoRoomException.class, () -> a.allocate(PciBar.io(4)));
        a.allocate(PciBar.memory64(32 * GIB, false));
        assertThrows(PciResourceAllocator.NoRoomException.class,
            () -> a.allocate(PciBar.memory64(64 * GIB, false)));
    }

    @Test
    void shouldAssignEveryBarOnBusLargestFirst() {
        PciBus bus = new PciBus();
        TestFunction a = new TestFunction(1, PciBar.memory32(0x1000, false), PciBar.memory64(0x4000, true),
            PciBar.io(0x40));
        TestFunction b = new TestFunction(2, PciBar.memory32(0x100000, false));
        bus.addFunction(a);
        bus.addFunction(b);

        new PciResourceAllocator(PciWindows.forRamEnd(GIB)).assign(bus);

        assertEquals(0xc000_0000L, b.config().barAddress(0));
        assertEquals(0xc010_0000L, a.config().barAddress(0));
        assertEquals(64 * GIB, a.config().barAddress(1));
        assertEquals(0xc000, a.config().barAddress(3));
    }

    @Test
    void shouldNameTheFunctionWhoseBarDidNotFit() {
        PciBus bus = new PciBus();
        bus.addFunction(new TestFunction(1, PciBar.memory32(1L << 30, false)));

        PciResourceAllocator.NoRoomException e = assertThrows(PciResourceAllocator.NoRoomException.class,
            () -> new PciResourceAllocator(PciWindows.forRamEnd(GIB)).assign(bus));
        assertTrue(e.getMessage().startsWith("00:01.0 BAR 0: no room"), e.getMessage());
    }
}
