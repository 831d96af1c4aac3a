package io.vireo.vmm.devices;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PortIoBusTest {
    /** Remembers accesses; reads return the port number with high bits set, to check masking. */
    static final class Probe implements PioDevice {
        final List<String> log = new ArrayList<>();

        @Override
        public int read(int port, int size) {
            log.add("r" + Integer.toHexString(port) + "/" + size);
            return 0xabcd0000 | port;
        }

        @Override
        public void write(int port, int size, int value) {
            log.add("w" + Integer.toHexString(port) + "/" + size + "=" + Integer.toHexString(value));
        }
    }

    @Test
    void shouldDispatchToOwnerAndMaskBySize() {
        PortIoBus bus = new PortIoBus();
        Probe p = new Probe();
        bus.register(0x3f8, 8, p);

        assertEquals(0xf8, bus.read(0x3f8, 1));
        assertEquals(0x03ff, bus.read(0x3ff, 2));
        assertEquals(0xabcd03fc, bus.read(0x3fc, 4));
        bus.write(0x3f9, 1, 0x1234);
        assertEquals(List.of("r3f8/1", "r3ff/2", "r3fc/4", "w3f9/1=34"), p.log);
        assertEquals(0, bus.unmappedAccesses());
    }

    @Test
    void shouldFloatHighAndCountWhenUnmapped() {
        PortIoBus bus = new PortIoBus();
        bus.register(0x60, 1, new Probe());

        assertEquals(0xff, bus.read(0x61, 1));
        assertEquals(0xffff, bus.read(0x61, 2));
        assertEquals(0xffffffff, bus.read(0xffff, 4));
        bus.write(0x80, 1, 0x42);
        assertEquals(4, bus.unmappedAccesses());
    }

    @Test
    void shouldRejectOverlapNamingBothRanges() {
        PortIoBus bus = new PortIoBus();
        bus.register(0x600, 8, new AcpiPm(new RecordingControl()));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> bus.register(0x604, 2, new Probe()));

        assertEquals("port range 0x604-0x605 (Probe) overlaps 0x600-0x607 (AcpiPm)", e.getMessage());
    }

    @Test
    void shouldAcceptAdjacentRanges() {
        PortIoBus bus = new PortIoBus();
        Probe a = new Probe();
        Probe b = new Probe();
        bus.register(0xcf8, 1, a);
        bus.register(0xcf9, 1, b);
        bus.register(0xcfa, 0x6, a);

        bus.read(0xcf8, 4);
        bus.write(0xcf9, 1, 6);
        assertEquals(List.of("rcf8/4"), a.log);
        assertEquals(List.of("wcf9/1=6"), b.log);
    }

    @Test
    void shouldRejectBadRangesAndSizes() {
        PortIoBus bus = new PortIoBus();
        assertThrows(IllegalArgumentException.class, () -> bus.register(0xfffe, 4, new Probe()));
        assertThrows(IllegalArgumentException.class, () -> bus.register(-1, 1, new Probe()));
        assertThrows(IllegalArgumentException.class, () -> bus.register(0x10, 0, new Probe()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bus.read(0x10, 3));
        assertTrue(e.getMessage().contains("size 3"));
    }

    @Test
    void shouldNotAllocateOnDispatch() {
        PortIoBus bus = new PortIoBus();
        bus.register(0xf4, 4, new PioDevice() {
            @Override
            public int read(int port, int size) {
                return 0;
            }

            @Override
            public void write(int port, int size, int value) {
            }
        });
        com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        long sink = 0;
        for (int i = 0; i < 20_000; i++) { // warm up so the measured loop runs compiled code
            sink += bus.read(0xf4 + (i & 3), 1) + bus.read(0x1234, 2);
            bus.write(0xf4, 1, i);
        }
        long before = threads.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 100_000; i++) {
            sink += bus.read(0xf4 + (i & 3), 1) + bus.read(0x1234, 2);
            bus.write(0xf4, 1, i);
        }
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        assertTrue(allocated < 10_000, "dispatch allocated " + allocated + " bytes over 300k accesses (sink " + sink
            + ")");
    }
}
