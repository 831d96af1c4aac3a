package io.vireo.vmm.pci;

import io.vireo.dataplane.pci.PciBar;
import io.vireo.dataplane.pci.PciFunction;
import io.vireo.dataplane.pci.PciHeaderLayout;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PciBarMapperTest {
    private PciBus bus;
    private TestFunction dev;
    private MmioBus memory;
    private MmioBus ports;
    private final List<String> events = new ArrayList<>();

    @BeforeEach
    void setUp() {
        bus = new PciBus();
        dev = new TestFunction(1, PciBar.memory32(0x1000, false), PciBar.memory64(0x4000, false), PciBar.io(0x20));
        bus.addFunction(dev);
        new PciResourceAllocator(PciWindows.forRamEnd(1L << 30)).assign(bus);
        memory = new MmioBus();
        ports = new MmioBus();
        PciBarMapper mapper = new PciBarMapper(memory, ports);
        mapper.addListener(new BarMappingListener() {
            @Override
            public void mapped(PciAddress a, PciFunction f, int bar, long base, long size, boolean io) {
                events.add("map " + a + " " + bar + " 0x" + Long.toHexString(base));
            }

            @Override
            public void unmapped(PciAddress a, PciFunction f, int bar, long base, long size, boolean io) {
                events.add("unmap " + a + " " + bar + " 0x" + Long.toHexString(base));
            }
        });
        mapper.attach(bus);
    }

    private void command(int value) {
        dev.writeConfig(PciHeaderLayout.COMMAND_OFFSET, 2, value);
    }

    @Test
    void shouldMapOnlyWhileDecodingIsEnabled() {
        assertEquals(0, memory.size());
        command(PciHeaderLayout.COMMAND_MEMORY_SPACE);

        assertEquals(2, memory.size());
        assertEquals(0, ports.size());
        assertEquals(0x10, memory.read(0xc000_0010L, 4));
        assertEquals(1L << 24 | 8, memory.read((64L << 30) + 8, 4));
        command(PciHeaderLayout.COMMAND_IO_SPACE);

        assertEquals(0, memory.size());
        assertEquals(3L << 24 | 4, new PciIoWindow(ports).read(0xc004, 4));
        assertEquals(List.of("map 00:01.0 0 0xc0000000", "map 00:01.0 1 0x1000000000",
            "unmap 00:01.0 0 0xc0000000", "unmap 00:01.0 1 0x1000000000", "map 00:01.0 3 0xc000"), events);
    }

    @Test
    void shouldFollowBarMovesAndIgnoreSizingWithDecodeOff() {
        dev.writeConfig(0x10, 4, 0xffff_ffff);
        dev.writeConfig(0x10, 4, 0xc000_0000);
        assertEquals(List.of(), events, "decode is off while sizing");
        command(PciHeaderLayout.COMMAND_MEMORY_SPACE);
        events.clear();

        dev.writeConfig(0x10, 4, 0xc800_0000);

        assertEquals(List.of("unmap 00:01.0 0 0xc0000000", "map 00:01.0 0 0xc8000000"), events);
        assertEquals(0xffff_ffffL, memory.read(0xc000_0000L, 4));
        assertEquals(0x20, memory.read(0xc800_0020L, 4));
        new PciIoWindow(ports).write(0xc000, 2, 5);
        assertEquals(List.of(), dev.writes, "I/O decode is off");
        memory.write(0xc800_0ffcL, 4, 7);
        memory.write(0xc800_0ffeL, 4, 7);
        assertEquals(List.of("0+0xffc/4=0x7"), dev.writes, "an access running past the BAR is dropped");
    }

    @Test
    void shouldLeaveOverlappingBarUnmapped() {
        TestFunction other = new TestFunction(2, PciBar.memory32(0x1000, false));
        bus.addFunction(other);
        other.config().setBarAddress(0, 0xd000_0000L);
        new PciBarMapper(memory, ports).attach(new PciAddress(0, 2, 0), other);
        command(PciHeaderLayout.COMMAND_MEMORY_SPACE);
        other.writeConfig(PciHeaderLayout.COMMAND_OFFSET, 2, PciHeaderLayout.COMMAND_MEMORY_SPACE);
        assertEquals(3, memory.size());

        other.writeConfig(0x10, 4, 0xc000_0000);

        assertEquals(2, memory.size(), "the moved BAR overlaps 00:01.0's and is not mapped");
        assertEquals(0x4, memory.read(0xc000_0004L, 4), "00:01.0 still answers");
        other.writeConfig(0x10, 4, 0xd100_0000);
        assertEquals(3, memory.size());
        assertTrue(memory.contains(0xd100_0000L));
    }
}
