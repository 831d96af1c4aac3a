package io.vireo.dataplane.memory;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GuestMemoryTest {
    private static final long MIB = 1 << 20;

    private static GuestMemory twoRegions(Arena arena) {
        return new GuestMemory(List.of(new GuestRegion(4L << 30, arena.allocate(MIB), MIB),
            new GuestRegion(0, arena.allocate(MIB), 0)));
    }

    @Test
    void shouldTranslateInsideRegionsAndRefuseHolesAndEdges() {
        try (Arena arena = Arena.ofConfined()) {
            GuestMemory m = twoRegions(arena);
            assertEquals(2 * MIB, m.ramSizeBytes());
            assertEquals(0, m.region(0).gpa(), "sorted by address");
            assertTrue(m.contains(0, MIB));
            assertTrue(m.contains(MIB - 1, 1));
            assertTrue(m.contains(MIB, 0), "an empty range at the end is inside");
            assertFalse(m.contains(MIB - 1, 2), "crosses the end of region 0");
            assertFalse(m.contains(MIB, 1), "the hole");
            assertTrue(m.contains(4L << 30, 16));
            assertFalse(m.contains((4L << 30) - 1, 2), "starts in the hole");
            assertFalse(m.contains(0, 2 * MIB), "spans two regions");
        }
    }

    @Test
    void shouldNotOverflowOnHostileAddressesAndLengths() {
        try (Arena arena = Arena.ofConfined()) {
            GuestMemory m = twoRegions(arena);
            assertFalse(m.contains(Long.MAX_VALUE, 1));
            assertFalse(m.contains(Long.MAX_VALUE - 8, 16));
            assertFalse(m.contains(16, Long.MAX_VALUE));
            assertFalse(m.contains(-1, 1));
            assertFalse(m.contains(0, -1));
            assertFalse(m.contains(4L << 30, Long.MIN_VALUE));
            assertThrows(GuestMemoryException.class, () -> m.slice(MIB - 8, 16));
        }
    }

    @Test
    void shouldRejectOverlappingRegions() {
        try (Arena arena = Arena.ofConfined()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GuestMemory(List.of(
                new GuestRegion(0, arena.allocate(MIB), 0), new GuestRegion(MIB / 2, arena.allocate(MIB), 0))));
            assertTrue(e.getMessage().contains("overlapping"), e.getMessage());
        }
    }

    @Test
    void shouldReadBackWhatWasWritten() {
        try (Arena arena = Arena.ofConfined()) {
            GuestMemory m = twoRegions(arena);
            m.write((4L << 30) + 100, new byte[] {1, 2, 3});
            assertArrayEquals(new byte[] {1, 2, 3}, m.read((4L << 30) + 100, 3));
        }
    }

    @Test
    void shouldSplitMemfdRamAroundThePciHole() {
        try (MemfdGuestMemory m = MemfdGuestMemory.allocate(4L << 30)) {
            assertEquals(2, m.regionCount());
            assertEquals(0, m.region(0).gpa());
            assertEquals(3L << 30, m.region(0).sizeBytes());
            assertEquals(4L << 30, m.region(1).gpa());
            assertEquals(1L << 30, m.region(1).sizeBytes());
            assertEquals(3L << 30, m.region(1).fileOffset());
            assertFalse(m.contains(3L << 30, 1), "nothing in the hole");
            m.slice(4L << 30, 8).set(ValueLayout.JAVA_LONG, 0, 0x1234_5678_9abc_def0L);
            assertEquals(0x1234_5678_9abc_def0L, m.slice(4L << 30, 8).get(ValueLayout.JAVA_LONG, 0));
        }
    }

    @Test
    void shouldKeepSmallRamInOneRegion() {
        try (MemfdGuestMemory m = MemfdGuestMemory.allocate(64 * MIB)) {
            assertEquals(1, m.regionCount());
            assertEquals(64 * MIB, m.ramSizeBytes());
            assertTrue(m.memfd() >= 0);
        }
    }
}
