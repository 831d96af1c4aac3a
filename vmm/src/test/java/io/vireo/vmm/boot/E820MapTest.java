package io.vireo.vmm.boot;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class E820MapTest {
    private static final long MIB = TestMemory.MIB;
    private static final long GIB = TestMemory.GIB;

    private static List<E820Entry> mapOf(long ram) {
        try (TestMemory m = TestMemory.ofRam(ram)) {
            return E820Map.of(m.memory()).entries();
        }
    }

    private static void assertSortedAndDisjoint(List<E820Entry> entries) {
        for (int i = 1; i < entries.size(); i++) {
            assertTrue(entries.get(i - 1).end() <= entries.get(i).addr(),
                "overlap or disorder at " + i + ": " + entries);
        }
    }

    @Test
    void shouldDescribePcLowMemoryWhenRamIs512MiB() {
        List<E820Entry> map = mapOf(512 * MIB);

        assertEquals(List.of(
            new E820Entry(0, 0x9fc00, E820Entry.TYPE_RAM),
            new E820Entry(0x9fc00, 0x400, E820Entry.TYPE_RESERVED),
            new E820Entry(0xe0000, 0x20000, E820Entry.TYPE_RESERVED),
            new E820Entry(0x100000, 512 * MIB - 0x100000, E820Entry.TYPE_RAM)), map);
    }

    @Test
    void shouldListRamAbove4GiBWhenMachineIsSplit() {
        List<E820Entry> map = mapOf(4 * GIB);

        assertEquals(5, map.size());
        assertEquals(new E820Entry(0x100000, 3 * GIB - 0x100000, E820Entry.TYPE_RAM), map.get(3));
        assertEquals(new E820Entry(4 * GIB, GIB, E820Entry.TYPE_RAM), map.get(4));
        long ram = map.stream().filter(e -> e.type() == E820Entry.TYPE_RAM).mapToLong(E820Entry::size).sum();
        assertEquals(4 * GIB - 0x100000 + 0x9fc00, ram, "all RAM but the EBDA and 0xa0000-0xfffff");
    }

    @Test
    void shouldBeSortedAndDisjointForEveryMachineSize() {
        for (long ram : new long[] {2 * MIB, 512 * MIB, 3 * GIB, 3 * GIB + 4096, 5 * GIB}) {
            assertSortedAndDisjoint(mapOf(ram));
        }
    }

    @Test
    void shouldRejectOverlapWhenAddingEntry() {
        try (TestMemory m = TestMemory.ofRam(64 * MIB)) {
            E820Map map = E820Map.of(m.memory());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> map.with(new E820Entry(0xf0000, 0x20000, E820Entry.TYPE_RESERVED)));
            assertTrue(e.getMessage().contains("overlap"), e.getMessage());
        }
    }

    @Test
    void shouldKeepOrderWhenAddingReservedWindowAbovePciHole() {
        try (TestMemory m = TestMemory.ofRam(4 * GIB)) {
            E820Map map = E820Map.of(m.memory()).with(new E820Entry(0xe0000000L, 0x10000000L,
                E820Entry.TYPE_RESERVED));
            assertSortedAndDisjoint(map.entries());
            assertEquals(0xe0000000L, map.entries().get(4).addr());
        }
    }

    @Test
    void shouldRejectRamOfOneMiBOrLess() {
        try (TestMemory m = TestMemory.ofRam(MIB)) {
            assertThrows(BootException.class, () -> E820Map.of(m.memory()));
        }
    }
}
