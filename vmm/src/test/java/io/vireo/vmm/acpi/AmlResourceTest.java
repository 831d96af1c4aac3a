package io.vireo.vmm.acpi;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AmlResourceTest {
    private static byte[] b(int... v) {
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (byte) v[i];
        }
        return out;
    }

    @Test
    void shouldEncodeDescriptorsAsIaslDoes() {
        // The bytes iasl emits for QEMU's q35 PCI0._CRS lines (ACPI 6.5 6.4.2.5, 6.4.3.5.2, 6.4.3.5.3).
        assertArrayEquals(b(0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08), AmlResource.io(0xcf8, 0xcf8, 1, 8));
        assertArrayEquals(b(0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 1),
            AmlResource.wordBusNumber(0, 0xff));
        assertArrayEquals(b(0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0, 0, 0, 0, 0xf7, 0x0c, 0, 0, 0xf8, 0x0c),
            AmlResource.wordIo(0, 0xcf7));
        assertArrayEquals(b(0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff, 0xff, 0xdf,
            0, 0, 0, 0, 0, 0, 0, 0x20), AmlResource.dwordMemory(0xc000_0000L, 0xdfff_ffffL));
        assertArrayEquals(b(0x86, 0x09, 0x00, 0x01, 0, 0, 0, 0xe0, 0, 0, 0x10, 0),
            AmlResource.memory32Fixed(0xe000_0000L, 0x10_0000));
    }

    @Test
    void shouldEncodeQwordMemoryWithFullWidthFields() {
        byte[] q = AmlResource.qwordMemory(0x10_0000_0000L, 0x1f_ffff_ffffL);
        ByteBuffer bb = ByteBuffer.wrap(q).order(ByteOrder.LITTLE_ENDIAN);

        assertEquals(46, q.length);
        assertEquals(0x8a, q[0] & 0xff);
        assertEquals(43, bb.getShort(1));
        assertEquals(0x03, q[5], "ReadWrite, Cacheable");
        assertEquals(0x10_0000_0000L, bb.getLong(14));
        assertEquals(0x1f_ffff_ffffL, bb.getLong(22));
        assertEquals(0x10_0000_0000L, bb.getLong(38));
    }

    @Test
    void shouldWrapTemplateInBufferWithEndTag() {
        byte[] t = AmlResource.template(AmlResource.io(0xcf8, 0xcf8, 1, 8));

        assertArrayEquals(b(0x11, 0x0d, 0x0a, 0x0a, 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08, 0x79, 0x00), t);
        byte[] named = Aml.name("_CRS", t);
        byte[] buf = AmlReader.namedBuffer(named, 0, "_CRS");
        assertEquals(List.of(new AmlReader.Resource(0x40, -1, 0xcf8, 0xcf8, 8, 1, 1)), AmlReader.resources(buf));
    }

    @Test
    void shouldRejectOutOfRangeFields() {
        assertThrows(IllegalArgumentException.class, () -> AmlResource.io(0x10000, 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> AmlResource.wordIo(0x100, 0xff));
        assertThrows(IllegalArgumentException.class, () -> AmlResource.dwordMemory(0, 0x1_0000_0000L));
    }

    @Test
    void shouldBuildMcfgWithOneAllocation() {
        byte[] m = Mcfg.build(0xe000_0000L, 0, 0, 0);
        ByteBuffer bb = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);

        assertEquals(60, m.length);
        assertEquals(60, bb.getInt(AcpiTable.LENGTH_OFFSET));
        assertEquals(0, AcpiTable.sum(m, 0, m.length));
        assertEquals(0, bb.getLong(AcpiTable.HEADER_SIZE), "8 reserved bytes");
        assertEquals(0xe000_0000L, bb.getLong(Mcfg.ALLOCATIONS_OFFSET + Mcfg.BASE_ADDRESS_OFFSET));
        assertEquals(0, bb.getShort(Mcfg.ALLOCATIONS_OFFSET + Mcfg.SEGMENT_OFFSET));
        assertEquals(0, m[Mcfg.ALLOCATIONS_OFFSET + Mcfg.START_BUS_OFFSET]);
        assertEquals(0, m[Mcfg.ALLOCATIONS_OFFSET + Mcfg.END_BUS_OFFSET]);
        assertThrows(IllegalArgumentException.class, () -> Mcfg.build(0xe008_0000L, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Mcfg.build(0xe000_0000L, 0, 1, 0));
    }
}
