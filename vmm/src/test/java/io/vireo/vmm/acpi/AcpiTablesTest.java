package io.vireo.vmm.acpi;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.vmm.boot.BootLayout;
import io.vireo.vmm.boot.TestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AcpiTablesTest {
    private TestMemory ram;
    private GuestMemory mem;

    @BeforeEach
    void setUp() {
        ram = TestMemory.ofRam(64 * TestMemory.MIB);
        mem = ram.memory();
    }

    @AfterEach
    void tearDown() {
        ram.close();
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String signature(byte[] t) {
        return new String(t, 0, 4, StandardCharsets.US_ASCII);
    }

    /** A whole table read from guest memory by the length in its header. */
    private byte[] table(long gpa) {
        int len = le(mem.read(gpa, 8)).getInt(AcpiTable.LENGTH_OFFSET);
        return mem.read(gpa, len);
    }

    private byte[] rsdp(long gpa) {
        return mem.read(gpa, Rsdp.SIZE);
    }

    private List<byte[]> xsdtTables(long rsdpGpa) {
        byte[] xsdt = table(le(rsdp(rsdpGpa)).getLong(Rsdp.XSDT_ADDRESS_OFFSET));
        List<byte[]> tables = new ArrayList<>();
        for (int o = Xsdt.ENTRIES_OFFSET; o < xsdt.length; o += 8) {
            tables.add(table(le(xsdt).getLong(o)));
        }
        return tables;
    }

    private byte[] find(long rsdpGpa, String sig) {
        return xsdtTables(rsdpGpa).stream().filter(t -> signature(t).equals(sig)).findFirst().orElseThrow();
    }

    @Test
    void shouldChecksumRsdpBothWays() {
        long rsdpGpa = AcpiTables.write(mem, BootLayout.ACPI_BASE, 2);

        assertEquals(0xe0000, rsdpGpa);
        byte[] r = rsdp(rsdpGpa);
        assertEquals("RSD PTR ", new String(r, 0, 8, StandardCharsets.US_ASCII));
        assertEquals(0, AcpiTable.sum(r, 0, Rsdp.V1_SIZE));
        assertEquals(0, AcpiTable.sum(r, 0, Rsdp.SIZE));
        assertEquals(2, r[Rsdp.REVISION_OFFSET]);
        assertEquals(36, le(r).getInt(Rsdp.LENGTH_OFFSET));
        assertEquals("VIREO ", new String(r, Rsdp.OEM_ID_OFFSET, 6, StandardCharsets.US_ASCII));
    }

    @Test
    void shouldChecksumEveryTableToZero() {
        long rsdpGpa = AcpiTables.write(mem, BootLayout.ACPI_BASE, 4);

        byte[] xsdt = table(le(rsdp(rsdpGpa)).getLong(Rsdp.XSDT_ADDRESS_OFFSET));
        List<byte[]> all = new ArrayList<>(xsdtTables(rsdpGpa));
        all.add(xsdt);
        byte[] fadt = find(rsdpGpa, "FACP");
        all.add(table(le(fadt).getLong(Fadt.X_DSDT_OFFSET)));
        List<String> sigs = new ArrayList<>();
        for (byte[] t : all) {
            sigs.add(signature(t));
            assertEquals(0, AcpiTable.sum(t, 0, t.length), signature(t) + " checksum");
            assertEquals("VIREO ", new String(t, AcpiTable.OEM_ID_OFFSET, 6, StandardCharsets.US_ASCII));
            assertEquals("VIREOVM ", new String(t, AcpiTable.OEM_TABLE_ID_OFFSET, 8, StandardCharsets.US_ASCII));
        }
        assertEquals(List.of("FACP", "APIC", "XSDT", "DSDT"), sigs);
    }

    @Test
    void shouldPointFadtAtFacsOnceAndAtDsdtWithSameAddressBothWidths() {
        long rsdpGpa = AcpiTables.write(mem, BootLayout.ACPI_BASE, 1);
        ByteBuffer f = le(find(rsdpGpa, "FACP"));

        long facs = Integer.toUnsignedLong(f.getInt(Fadt.FIRMWARE_CTRL_OFFSET));
        long dsdt = f.getLong(Fadt.X_DSDT_OFFSET);
        assertEquals(0, f.getLong(Fadt.X_FIRMWARE_CTRL_OFFSET), "ACPI 6.5 5.2.9: not both FACS fields");
        assertEquals(dsdt, Integer.toUnsignedLong(f.getInt(Fadt.DSDT_OFFSET)));
        assertEquals(0, facs % 64, "FACS is 64-byte aligned");
        byte[] facsBytes = mem.read(facs, Facs.SIZE);
        assertEquals("FACS", signature(facsBytes));
        assertEquals(64, le(facsBytes).getInt(Facs.LENGTH_OFFSET));
        assertEquals("DSDT", signature(table(dsdt)));
    }

    @Test
    void shouldPlaceFadtFieldsAtSpecOffsets() {
        byte[] fadt = Fadt.build(0xe0100, 0xe0200);
        ByteBuffer f = le(fadt);

        assertEquals(276, fadt.length);
        assertEquals(276, f.getInt(4));
        assertEquals(6, fadt[8]);
        assertEquals(0xe0100, f.getInt(36));
        assertEquals(0xe0200, f.getInt(40));
        assertEquals(9, f.getShort(46));
        assertEquals(0, f.getInt(48), "SMI_CMD 0: ACPI always on");
        assertEquals(0x600, f.getInt(56));
        assertEquals(0x604, f.getInt(64));
        assertEquals(0, f.getInt(76), "no PM timer");
        assertEquals(4, fadt[88]);
        assertEquals(2, fadt[89]);
        int bootArch = f.getShort(109);
        assertEquals(Fadt.IAPC_VGA_NOT_PRESENT, bootArch & Fadt.IAPC_VGA_NOT_PRESENT);
        assertEquals(0, bootArch & Fadt.IAPC_8042);
        int flags = f.getInt(112);
        assertEquals(Fadt.FLAG_WBINVD, flags & Fadt.FLAG_WBINVD);
        assertEquals(Fadt.FLAG_RESET_REG_SUP, flags & Fadt.FLAG_RESET_REG_SUP);
        assertEquals(0, flags & Fadt.FLAG_HW_REDUCED_ACPI);
        // RESET_REG: system I/O, 8 bits, offset 0, byte access, 0xCF9; RESET_VALUE 6
        assertArrayEquals(new byte[] {1, 8, 0, 1}, Arrays.copyOfRange(fadt, 116, 120));
        assertEquals(0xcf9, f.getLong(120));
        assertEquals(6, fadt[128]);
        assertEquals(0, f.getLong(132), "X_FIRMWARE_CTRL unset: the FACS is in FIRMWARE_CTRL");
        assertEquals(0xe0100, f.getInt(36));
        assertEquals(0xe0200, f.getLong(140));
        assertArrayEquals(new byte[] {1, 32, 0, 2}, Arrays.copyOfRange(fadt, 148, 152));
        assertEquals(0x600, f.getLong(152));
        assertArrayEquals(new byte[] {1, 16, 0, 2}, Arrays.copyOfRange(fadt, 172, 176));
        assertEquals(0x604, f.getLong(176));
        assertEquals("VIREOVMM", new String(fadt, 268, 8, StandardCharsets.US_ASCII));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 64, 255})
    void shouldDescribeOneEnabledLapicPerCpu(int cpus) {
        byte[] madt = find(AcpiTables.write(mem, BootLayout.ACPI_BASE, cpus), "APIC");
        ByteBuffer m = le(madt);

        assertEquals(0xfee00000, m.getInt(Madt.LAPIC_ADDRESS_OFFSET));
        assertEquals(Madt.PCAT_COMPAT, m.getInt(Madt.FLAGS_OFFSET));
        List<Integer> apicIds = new ArrayList<>();
        int ioapics = 0;
        List<String> overrides = new ArrayList<>();
        int nmis = 0;
        for (int o = Madt.STRUCTURES_OFFSET; o < madt.length; o += madt[o + 1] & 0xff) {
            int type = madt[o];
            switch (type) {
                case Madt.TYPE_LOCAL_APIC -> {
                    assertEquals(apicIds.size(), madt[o + 2] & 0xff, "ACPI UID");
                    assertEquals(Madt.LOCAL_APIC_ENABLED, m.getInt(o + 4));
                    apicIds.add(madt[o + 3] & 0xff);
                }
                case Madt.TYPE_IO_APIC -> {
                    ioapics++;
                    assertEquals(Madt.IOAPIC_ID, madt[o + 2]);
                    assertEquals(0xfec00000, m.getInt(o + 4));
                    assertEquals(0, m.getInt(o + 8), "GSI base");
                }
                case Madt.TYPE_INTERRUPT_OVERRIDE -> overrides.add(madt[o + 3] + "->" + m.getInt(o + 4) + "/"
                    + m.getShort(o + 8));
                case Madt.TYPE_LOCAL_APIC_NMI -> {
                    nmis++;
                    assertEquals((byte) 0xff, madt[o + 2], "all processors");
                    assertEquals(1, madt[o + 5], "LINT1");
                }
                default -> throw new AssertionError("unexpected MADT structure type " + type);
            }
        }
        assertEquals(cpus, apicIds.size());
        for (int i = 0; i < cpus; i++) {
            assertEquals(i, apicIds.get(i));
        }
        assertEquals(1, ioapics);
        assertEquals(List.of("0->2/5", "9->9/13"), overrides);
        assertEquals(1, nmis);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 256, 1000})
    void shouldRejectCpuCountsTheMadtCannotDescribe(int cpus) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> AcpiTables.write(mem, BootLayout.ACPI_BASE, cpus));
        assertTrue(e.getMessage().startsWith("cpus=" + cpus + ": the MADT describes 1 to 255 CPUs"), e.getMessage());
    }

    @Test
    void shouldContainParseableS5InDsdt() {
        long rsdpGpa = AcpiTables.write(mem, BootLayout.ACPI_BASE, 1);
        byte[] dsdt = table(le(find(rsdpGpa, "FACP")).getLong(Fadt.X_DSDT_OFFSET));

        assertEquals(List.of(5L, 5L, 0L, 0L), AmlReader.namedPackage(dsdt, AcpiTable.HEADER_SIZE, "\\_S5_"));
    }

    @Test
    void shouldAlignEveryTableAndStayInBiosArea() {
        long rsdpGpa = AcpiTables.write(mem, BootLayout.ACPI_BASE, 255);
        long xsdtGpa = le(rsdp(rsdpGpa)).getLong(Rsdp.XSDT_ADDRESS_OFFSET);
        byte[] xsdt = table(xsdtGpa);
        assertEquals(0, xsdtGpa % 16);
        for (int o = Xsdt.ENTRIES_OFFSET; o < xsdt.length; o += 8) {
            long gpa = le(xsdt).getLong(o);
            assertEquals(0, gpa % 16);
            assertTrue(gpa + table(gpa).length <= BootLayout.ACPI_END_GPA);
        }
    }

    @Test
    void shouldRefuseToWritePastBiosAreaAndLeaveMemoryAlone() {
        long base = BootLayout.ACPI_END_GPA - 0x200;
        mem.fill(base, 0x200, (byte) 0x5a);

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> AcpiTables.write(mem, base, 8));

        assertTrue(e.getMessage().contains("past the BIOS area's end at 0x100000"), e.getMessage());
        byte[] expected = new byte[0x200];
        Arrays.fill(expected, (byte) 0x5a);
        assertArrayEquals(expected, mem.read(base, 0x200));
    }

    @Test
    void shouldRejectBaseOutsideBiosAreaOrUnaligned() {
        assertThrows(IllegalArgumentException.class, () -> AcpiTables.write(mem, 0xd0000, 1));
        assertThrows(IllegalArgumentException.class, () -> AcpiTables.write(mem, 0xe0008, 1));
    }

    @Test
    void shouldLinkAddedTablesFromXsdtAndAddedAmlToDsdt() {
        byte[] mcfg = new AcpiTable("MCFG", 1).u64(0).u64(0xb0000000L).u16(0).u8(0).u8(0).u32(0).toBytes();
        long rsdpGpa = new AcpiTables(2)
            .addTable(mcfg)
            .addDsdtObject(Aml.scope("\\_SB", Aml.device("PCI0", Aml.name("_HID", Aml.eisaId("PNP0A08")))))
            .writeTo(mem, BootLayout.ACPI_BASE);

        assertArrayEquals(mcfg, find(rsdpGpa, "MCFG"));
        byte[] dsdt = table(le(find(rsdpGpa, "FACP")).getLong(Fadt.X_DSDT_OFFSET));
        assertEquals(0, AcpiTable.sum(dsdt, 0, dsdt.length));
        assertEquals(List.of(5L, 5L, 0L, 0L), AmlReader.namedPackage(dsdt, AcpiTable.HEADER_SIZE, "\\_S5_"));
        assertNotEquals(-1, AmlReader.indexOf(dsdt, "PCI0".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void shouldRejectUnfinishedAddedTable() {
        byte[] broken = new AcpiTable("MCFG", 1).u64(0).toBytes();
        broken[40] ^= 1;
        assertThrows(IllegalArgumentException.class, () -> new AcpiTables(1).addTable(broken));
    }
}
