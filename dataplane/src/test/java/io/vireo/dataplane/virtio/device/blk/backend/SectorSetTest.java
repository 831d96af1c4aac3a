package io.vireo.dataplane.virtio.device.blk.backend;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SectorSetTest {

    @Test
    void shouldParseSectorsAndRangesAndMergeThem() {
        SectorSet s = SectorSet.parse(" 10000-10007 , 2048,2049, 10005-10010,7");
        assertEquals("7,2048-2049,10000-10010", s.toString());
        assertEquals(s, SectorSet.parse(s.toString()));
        assertTrue(s.contains(7));
        assertFalse(s.contains(8));
        assertTrue(s.contains(10010));
        assertFalse(s.contains(10011));
        assertTrue(s.overlaps(0, 7));
        assertTrue(s.overlaps(2000, 3000));
        assertFalse(s.overlaps(2050, 9999));
        assertFalse(s.isEmpty());
        assertTrue(SectorSet.parse("").isEmpty() && SectorSet.parse("  ").isEmpty());
    }

    @Test
    void shouldMapByteRangesToSectors() {
        SectorSet s = SectorSet.parse("2048");
        assertTrue(s.overlapsBytes(2048 * 512L, 1));
        assertTrue(s.overlapsBytes(2047 * 512L, 513));
        assertFalse(s.overlapsBytes(2047 * 512L, 512));
        assertFalse(s.overlapsBytes(2049 * 512L, 4096));
        assertFalse(s.overlapsBytes(2048 * 512L, 0));
    }

    @Test
    void shouldRejectBadTextWithOneLineMessages() {
        String[][] cases = {
            {"1,,2", "sector list '1,,2': entry 2 is empty"},
            {"12a", "sector list '12a': '12a' is not a sector number (decimal, 0 or more)"},
            {"-5", "sector list '-5': '' is not a sector number (decimal, 0 or more)"},
            {"9-3", "sector list '9-3': range 9-3 ends before it starts"},
            {"1-2-3", "sector list '1-2-3': '2-3' is not a sector number (decimal, 0 or more)"},
            {"99999999999999999999", "sector list '99999999999999999999': sector 99999999999999999999 is too large"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SectorSet.parse(c[0]));
            assertEquals(c[1], e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }
}
