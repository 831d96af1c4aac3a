package io.vireo.vmm.boot;

import io.vireo.dataplane.memory.GuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HvmStartInfoTest {
    private TestMemory ram;
    private GuestMemory mem;

    @BeforeEach
    void setUp() {
        ram = TestMemory.ofRam(512 * TestMemory.MIB);
        mem = ram.memory();
    }

    @AfterEach
    void tearDown() {
        ram.close();
    }

    private ByteBuffer at(long gpa, int len) {
        return ByteBuffer.wrap(mem.read(gpa, len)).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void shouldWriteFieldsAtTheirOffsets() {
        List<E820Entry> map = E820Map.of(mem).entries();
        List<HvmStartInfo.Module> modules = List.of(new HvmStartInfo.Module(0x1f000000, 12345));

        long gpa = HvmStartInfo.write(mem, "console=ttyS0", map, 0xe0000, modules);

        assertEquals(BootLayout.START_INFO_GPA, gpa);
        ByteBuffer s = at(gpa, HvmStartInfo.SIZE);
        assertEquals(0x336ec578, s.getInt(0));
        assertEquals(1, s.getInt(4));
        assertEquals(0, s.getInt(8));
        assertEquals(1, s.getInt(12));
        assertEquals(BootLayout.MODLIST_GPA, s.getLong(16));
        assertEquals(BootLayout.CMDLINE_GPA, s.getLong(24));
        assertEquals(0xe0000, s.getLong(32));
        assertEquals(BootLayout.MEMMAP_GPA, s.getLong(40));
        assertEquals(map.size(), s.getInt(48));
        assertEquals(0, s.getInt(52));

        ByteBuffer mod = at(BootLayout.MODLIST_GPA, HvmStartInfo.MODLIST_ENTRY_SIZE);
        assertEquals(0x1f000000, mod.getLong(0));
        assertEquals(12345, mod.getLong(8));
        assertEquals(0, mod.getLong(16));
        assertEquals(0, mod.getLong(24));
    }

    @Test
    void shouldWriteMemmapEntries() {
        List<E820Entry> map = E820Map.of(mem).entries();

        HvmStartInfo.write(mem, "", map, 0, List.of());

        ByteBuffer m = at(BootLayout.MEMMAP_GPA, map.size() * HvmStartInfo.MEMMAP_ENTRY_SIZE);
        for (int i = 0; i < map.size(); i++) {
            int o = i * HvmStartInfo.MEMMAP_ENTRY_SIZE;
            assertEquals(map.get(i), new E820Entry(m.getLong(o), m.getLong(o + 8), m.getInt(o + 16)));
            assertEquals(0, m.getInt(o + 20), "reserved");
        }
    }

    @Test
    void shouldNulTerminateCmdline() {
        mem.fill(BootLayout.CMDLINE_GPA, 64, (byte) 'Z');

        HvmStartInfo.write(mem, "root=/dev/vda", E820Map.of(mem), 0, List.of());

        assertArrayEquals("root=/dev/vda\0".getBytes(), mem.read(BootLayout.CMDLINE_GPA, 14));
    }

    @Test
    void shouldLeaveModlistNullWhenNoModules() {
        HvmStartInfo.write(mem, "", E820Map.of(mem), 0, List.of());

        ByteBuffer s = at(BootLayout.START_INFO_GPA, HvmStartInfo.SIZE);
        assertEquals(0, s.getInt(HvmStartInfo.NR_MODULES_OFFSET));
        assertEquals(0, s.getLong(HvmStartInfo.MODLIST_PADDR_OFFSET));
    }

    @Test
    void shouldRejectLongCmdlineBeforeWritingAnything() {
        String cmdline = "y".repeat(70_000);
        BootException e = assertThrows(BootException.class,
            () -> HvmStartInfo.write(mem, cmdline, E820Map.of(mem), 0, List.of()));
        assertEquals("--cmdline is 70000 bytes; the limit is 65535", e.getMessage());
        assertEquals(0, at(BootLayout.START_INFO_GPA, 4).getInt(0));
    }
}
