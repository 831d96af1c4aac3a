package io.vireo.vmm.pci;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MmioBusTest {
    private static MmioHandler tagged(long tag, List<String> writes) {
        return new MmioHandler() {
            @Override
            public long read(long offset, int size) {
                return tag << 32 | offset;
            }

            @Override
            public void write(long offset, int size, long value) {
                writes.add(tag + "+" + offset + "=" + value);
            }
        };
    }

    @Test
    void shouldDispatchByRangeWithOffsets() {
        List<String> writes = new ArrayList<>();
        MmioBus bus = new MmioBus();
        bus.register(0x3000, 0x1000, tagged(3, writes));
        bus.register(0x1000, 0x1000, tagged(1, writes));
        bus.register(0x2000, 0x1000, tagged(2, writes));

        assertEquals(1L << 32, bus.read(0x1000, 4));
        assertEquals(1L << 32 | 0xfff, bus.read(0x1fff, 1));
        assertEquals(2L << 32 | 0x10, bus.read(0x2010, 4));
        assertEquals(3L << 32 | 0xffc, bus.read(0x3ffc, 4));
        bus.write(0x2008, 8, 99);
        assertEquals(List.of("2+8=99"), writes);
        assertEquals(3, bus.size());
    }

    @Test
    void shouldReadAllOnesOutsideRangesAndCount() {
        MmioBus bus = new MmioBus();
        bus.register(0x1000, 0x10, tagged(1, new ArrayList<>()));

        assertEquals(0xff, bus.read(0xfff, 1));
        assertEquals(0xffff_ffffL, bus.read(0x1010, 4));
        assertEquals(-1L, bus.read(Long.MAX_VALUE, 8));
        assertEquals(0xffff, bus.read(Long.MIN_VALUE, 2));
        bus.write(0, 4, 1);
        assertEquals(5, bus.unmappedAccesses());
        assertFalse(bus.contains(0x1010));
        assertTrue(bus.contains(0x100f));
    }

    @Test
    void shouldRejectOverlapsAndBadRanges() {
        MmioBus bus = new MmioBus();
        MmioHandler h = tagged(0, new ArrayList<>());
        bus.register(0x1000, 0x1000, h);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bus.register(0x1800, 0x1000,
            h));
        assertTrue(e.getMessage().contains("0x1000-0x1fff"), e.getMessage());
        assertFalse(bus.tryRegister(0x800, 0x801, h));
        assertFalse(bus.tryRegister(0x1000, 1, h));
        assertFalse(bus.tryRegister(0x5000, 0, h));
        assertFalse(bus.tryRegister(Long.MAX_VALUE - 1, 0x10, h));
        assertTrue(bus.tryRegister(0x800, 0x800, h));
        assertTrue(bus.tryRegister(0x2000, 0x800, h));
    }

    @Test
    void shouldUnregisterAndLetRangeBeReused() {
        MmioBus bus = new MmioBus();
        bus.register(0x1000, 0x1000, tagged(1, new ArrayList<>()));
        bus.register(0x4000, 0x1000, tagged(4, new ArrayList<>()));

        assertTrue(bus.unregister(0x1000));
        assertFalse(bus.unregister(0x1000));
        assertEquals(0xffff_ffffL, bus.read(0x1000, 4));
        bus.register(0x1800, 0x800, tagged(9, new ArrayList<>()));
        assertEquals(9L << 32, bus.read(0x1800, 4));
        assertEquals(4L << 32, bus.read(0x4000, 4));
    }
}
