package io.vireo.vmm.pci;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.vmm.acpi.AcpiTable;
import io.vireo.vmm.acpi.AcpiTables;
import io.vireo.vmm.acpi.Aml;
import io.vireo.vmm.acpi.AmlReader;
import io.vireo.vmm.acpi.AmlReader.Resource;
import io.vireo.vmm.acpi.AmlResource;
import io.vireo.vmm.acpi.Fadt;
import io.vireo.vmm.acpi.Mcfg;
import io.vireo.vmm.acpi.Rsdp;
import io.vireo.vmm.acpi.Xsdt;
import io.vireo.vmm.boot.BootLayout;
import io.vireo.vmm.boot.E820Entry;
import io.vireo.vmm.boot.E820Map;
import io.vireo.vmm.boot.TestMemory;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PciAcpiTest {
    private static final long GIB = 1L << 30;
    private static final PciWindows WINDOWS = PciWindows.forRamEnd(5 * GIB);

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] table(GuestMemory mem, long gpa) {
        return mem.read(gpa, le(mem.read(gpa, 8)).getInt(AcpiTable.LENGTH_OFFSET));
    }

    @Test
    void shouldDescribeEcamWindowInMcfg() {
        byte[] m = PciAcpi.mcfg();

        assertEquals("MCFG", new String(m, 0, 4, StandardCharsets.US_ASCII));
        assertEquals(0, AcpiTable.sum(m, 0, m.length));
        assertEquals(Mcfg.ALLOCATIONS_OFFSET + Mcfg.ALLOCATION_SIZE, m.length, "one allocation");
        assertEquals(0xe000_0000L, le(m).getLong(Mcfg.ALLOCATIONS_OFFSET));
        assertEquals(0, le(m).getShort(Mcfg.ALLOCATIONS_OFFSET + Mcfg.SEGMENT_OFFSET));
        int endBus = m[Mcfg.ALLOCATIONS_OFFSET + Mcfg.END_BUS_OFFSET];
        assertEquals(PciEcam.SIZE_BYTES, (endBus + 1L) << 20, "MCFG covers exactly the ECAM window");
    }

    @Test
    void shouldDecodeHostBridgeCrsToIntendedWindows() {
        byte[] aml = PciAcpi.dsdt(WINDOWS);
        int pci0 = AmlReader.indexOf(aml, "PCI0".getBytes(StandardCharsets.US_ASCII));

        List<Resource> crs = AmlReader.resources(AmlReader.namedBuffer(aml, pci0, "_CRS"));

        int producer = AmlResource.GENERAL_PRODUCER_FIXED;
        assertEquals(List.of(
            new Resource(0x88, AmlResource.TYPE_BUS_NUMBER, 0, 0, 1, producer, 0),
            new Resource(0x40, -1, 0xcf8, 0xcf8, 8, 1, 1),
            new Resource(0x88, AmlResource.TYPE_IO, 0, 0xcf7, 0xcf8, producer, 3),
            new Resource(0x88, AmlResource.TYPE_IO, 0xd00, 0xffff, 0xf300, producer, 3),
            new Resource(0x87, AmlResource.TYPE_MEMORY, 0xc000_0000L, 0xdfff_ffffL, 0x2000_0000L, producer, 1),
            new Resource(0x8a, AmlResource.TYPE_MEMORY, 64 * GIB, 128 * GIB - 1, 64 * GIB, producer, 3)), crs);
    }

    @Test
    void shouldNameHostBridgeAndReserveEcamAsMotherboardResource() {
        byte[] aml = PciAcpi.dsdt(WINDOWS);

        assertNotEquals(-1, AmlReader.indexOf(aml, Aml.name("_HID", Aml.eisaId("PNP0A08"))));
        assertNotEquals(-1, AmlReader.indexOf(aml, Aml.name("_CID", Aml.eisaId("PNP0A03"))));
        assertNotEquals(-1, AmlReader.indexOf(aml, Aml.name("_SEG", Aml.integer(0))));
        assertNotEquals(-1, AmlReader.indexOf(aml, Aml.name("_BBN", Aml.integer(0))));
        int mbrd = AmlReader.indexOf(aml, "MBRD".getBytes(StandardCharsets.US_ASCII));
        assertTrue(mbrd > 0);
        assertTrue(AmlReader.indexOf(aml, Aml.name("_HID", Aml.eisaId("PNP0C02"))) > mbrd);
        assertEquals(List.of(new Resource(0x86, 0, 0xe000_0000L, 0xe00f_ffffL, 0x10_0000, 0, 1)),
            AmlReader.resources(AmlReader.namedBuffer(aml, mbrd, "_CRS")));
    }

    @Test
    void shouldLinkMcfgFromXsdtAndPutPci0InDsdt() {
        try (TestMemory ram = TestMemory.ofRam(64 << 20)) {
            GuestMemory mem = ram.memory();
            long rsdp = PciAcpi.addTo(new AcpiTables(2), WINDOWS).writeTo(mem, BootLayout.ACPI_BASE);

            byte[] xsdt = table(mem, le(mem.read(rsdp, Rsdp.SIZE)).getLong(Rsdp.XSDT_ADDRESS_OFFSET));
            byte[] mcfg = null;
            byte[] fadt = null;
            for (int o = Xsdt.ENTRIES_OFFSET; o < xsdt.length; o += 8) {
                byte[] t = table(mem, le(xsdt).getLong(o));
                String sig = new String(t, 0, 4, StandardCharsets.US_ASCII);
                mcfg = sig.equals("MCFG") ? t : mcfg;
                fadt = sig.equals("FACP") ? t : fadt;
            }
            assertEquals(0, AcpiTable.sum(mcfg, 0, mcfg.length));
            byte[] dsdt = table(mem, le(fadt).getLong(Fadt.X_DSDT_OFFSET));
            assertEquals(0, AcpiTable.sum(dsdt, 0, dsdt.length));
            assertEquals(List.of(5L, 5L, 0L, 0L), AmlReader.namedPackage(dsdt, AcpiTable.HEADER_SIZE, "\\_S5_"));
            int pci0 = AmlReader.indexOf(dsdt, "PCI0".getBytes(StandardCharsets.US_ASCII));
            assertEquals(6, AmlReader.resources(AmlReader.namedBuffer(dsdt, pci0, "_CRS")).size());
        }
    }

    @Test
    void shouldReserveEcamInE820AboveThePciHole() {
        try (TestMemory ram = TestMemory.ofRam(5 * GIB)) {
            E820Map map = PciAcpi.e820(E820Map.of(ram.memory()));

            assertTrue(map.entries().contains(new E820Entry(0xe000_0000L, 0x10_0000, E820Entry.TYPE_RESERVED)));
            for (int i = 1; i < map.entries().size(); i++) {
                assertTrue(map.entries().get(i - 1).end() <= map.entries().get(i).addr());
            }
        }
    }

    @Test
    void shouldGiveEachSegmentAnMcfgWindowAndAHostBridgeOfItsOwn() {
        byte[] m = PciAcpi.mcfg(3);
        assertEquals(Mcfg.ALLOCATIONS_OFFSET + 3 * Mcfg.ALLOCATION_SIZE, m.length);
        assertEquals(0, AcpiTable.sum(m, 0, m.length));
        for (int s = 0; s < 3; s++) {
            int at = Mcfg.ALLOCATIONS_OFFSET + s * Mcfg.ALLOCATION_SIZE;
            assertEquals(0xe000_0000L + s * (1L << 20), le(m).getLong(at), "segment " + s + "'s ECAM follows");
            assertEquals(s, le(m).getShort(at + Mcfg.SEGMENT_OFFSET));
            assertEquals(0, m[at + Mcfg.START_BUS_OFFSET]);
            assertEquals(0, m[at + Mcfg.END_BUS_OFFSET]);
        }

        List<PciWindows> w = List.of(WINDOWS.slice(0, 3), WINDOWS.slice(1, 3), WINDOWS.slice(2, 3));
        byte[] aml = PciAcpi.dsdt(w, s -> new byte[0][]);
        int pc02 = AmlReader.indexOf(aml, "PC02".getBytes(StandardCharsets.US_ASCII));
        assertTrue(pc02 > AmlReader.indexOf(aml, "PC01".getBytes(StandardCharsets.US_ASCII)));
        assertNotEquals(-1, AmlReader.indexOf(aml, Aml.name("_SEG", Aml.integer(2))));
        assertNotEquals(-1, AmlReader.indexOf(aml, Aml.name("_UID", Aml.integer(2))));
        int producer = AmlResource.GENERAL_PRODUCER_FIXED;
        PciWindows w2 = w.get(2);
        // Bus 0 and its memory windows; no config ports and no I/O: those are segment 0's.
        assertEquals(List.of(
            new Resource(0x88, AmlResource.TYPE_BUS_NUMBER, 0, 0, 1, producer, 0),
            new Resource(0x87, AmlResource.TYPE_MEMORY, w2.mem32Base(), w2.mem32End() - 1,
                w2.mem32End() - w2.mem32Base(), producer, 1),
            new Resource(0x8a, AmlResource.TYPE_MEMORY, w2.mem64Base(), w2.mem64End() - 1,
                w2.mem64End() - w2.mem64Base(), producer, 3)),
            AmlReader.resources(AmlReader.namedBuffer(aml, pc02, "_CRS")));
        int mbrd = AmlReader.indexOf(aml, "MBRD".getBytes(StandardCharsets.US_ASCII));
        assertEquals(List.of(new Resource(0x86, 0, 0xe000_0000L, 0xe000_0000L + (3L << 20) - 1, 3L << 20, 0, 1)),
            AmlReader.resources(AmlReader.namedBuffer(aml, mbrd, "_CRS")), "every ECAM window reserved");
    }

    @Test
    void shouldSliceTheMemoryWindowsWithoutOverlapAndKeepIoOnSegmentZero() {
        PciWindows[] s = new PciWindows[4];
        for (int i = 0; i < 4; i++) {
            s[i] = WINDOWS.slice(i, 4);
            assertTrue(s[i].mem32Base() >= WINDOWS.mem32Base() && s[i].mem32End() <= WINDOWS.mem32End());
            assertTrue(s[i].mem64Base() >= WINDOWS.mem64Base() && s[i].mem64End() <= WINDOWS.mem64End());
            if (i > 0) {
                assertEquals(s[i - 1].mem32End(), s[i].mem32Base());
                assertEquals(s[i - 1].mem64End(), s[i].mem64Base());
            }
            assertEquals(i == 0, s[i].hasIo());
        }
        assertEquals(128L << 20, s[1].mem32End() - s[1].mem32Base());
        assertEquals(WINDOWS, WINDOWS.slice(0, 1));
    }

    @Test
    void shouldReserveEveryEcamWindowInE820() {
        try (TestMemory ram = TestMemory.ofRam(GIB)) {
            E820Map map = PciAcpi.e820(E820Map.of(ram.memory()), 3);
            assertTrue(map.entries().contains(new E820Entry(0xe000_0000L, 3L << 20, E820Entry.TYPE_RESERVED)));
        }
    }
}
