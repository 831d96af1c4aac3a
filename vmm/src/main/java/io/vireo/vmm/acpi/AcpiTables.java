package io.vireo.vmm.acpi;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.vmm.boot.BootLayout;

import java.util.ArrayList;
import java.util.List;

/**
 * Lays out and writes the ACPI tables in the BIOS area below 1 MiB (e820 reserved).
 *
 * <pre>
 * base (0xE0000)  RSDP   36 bytes, 16-aligned       --> XSDT
 *                 XSDT   one u64 per table          --> FADT, MADT, added tables
 *                 FADT   276 bytes                  --> FACS, DSDT
 *                 FACS   64 bytes, 64-aligned
 *                 DSDT   \_S5 + added AML objects
 *                 MADT   one LAPIC per CPU, IOAPIC, overrides, NMI
 *                 added tables (e.g. MCFG), in order
 * </pre>
 * Every table starts 16-byte aligned (FACS 64). Nothing is written unless all of it fits below
 * {@link BootLayout#ACPI_END_GPA}.
 *
 * <p>To extend: {@link #addTable} for a table the XSDT points to, {@link #addDsdtObject} for AML in the DSDT.
 */
public final class AcpiTables {
    public static final int TABLE_ALIGNMENT = 16;

    private final int cpus;
    private final List<byte[]> extraTables = new ArrayList<>();
    private final List<byte[]> dsdtObjects = new ArrayList<>();

    public AcpiTables(int cpus) {
        this.cpus = cpus;
    }

    /** Writes the standard tables for {@code cpus} CPUs at {@code baseGpa}; returns the RSDP's GPA. */
    public static long write(GuestMemory mem, long baseGpa, int cpus) {
        return new AcpiTables(cpus).writeTo(mem, baseGpa);
    }

    /** A finished table (header, length and checksum done, e.g. by {@link AcpiTable#toBytes()}) for the XSDT. */
    public AcpiTables addTable(byte[] table) {
        if (table.length < AcpiTable.HEADER_SIZE || AcpiTable.sum(table, 0, table.length) != 0) {
            throw new IllegalArgumentException("not a finished ACPI table: " + table.length + " bytes, checksum sum "
                + (table.length == 0 ? 0 : AcpiTable.sum(table, 0, table.length)));
        }
        extraTables.add(table.clone());
        return this;
    }

    /** An AML term (e.g. from {@link Aml#scope}) appended to the DSDT after {@code \_S5}. */
    public AcpiTables addDsdtObject(byte[] aml) {
        dsdtObjects.add(aml.clone());
        return this;
    }

    /** Writes everything at {@code baseGpa}; returns the RSDP's GPA (= baseGpa). */
    public long writeTo(GuestMemory mem, long baseGpa) {
        if (baseGpa < BootLayout.ACPI_START_GPA || baseGpa % TABLE_ALIGNMENT != 0) {
            throw new IllegalArgumentException("ACPI base 0x" + Long.toHexString(baseGpa) + " must be 16-byte aligned"
                + " and inside the BIOS area 0x" + Long.toHexString(BootLayout.ACPI_START_GPA) + "-0x"
                + Long.toHexString(BootLayout.ACPI_END_GPA));
        }
        byte[] madt = Madt.build(cpus);
        byte[] dsdt = Dsdt.build(dsdtObjects);
        byte[] facs = Facs.build();

        long rsdpGpa = baseGpa;
        long xsdtGpa = align(rsdpGpa + Rsdp.SIZE, TABLE_ALIGNMENT);
        long fadtGpa = align(xsdtGpa + Xsdt.size(2 + extraTables.size()), TABLE_ALIGNMENT);
        long facsGpa = align(fadtGpa + Fadt.SIZE, Facs.ALIGNMENT);
        long dsdtGpa = align(facsGpa + Facs.SIZE, TABLE_ALIGNMENT);
        long madtGpa = align(dsdtGpa + dsdt.length, TABLE_ALIGNMENT);
        long next = align(madtGpa + madt.length, TABLE_ALIGNMENT);
        List<Long> xsdtEntries = new ArrayList<>(List.of(fadtGpa, madtGpa));
        List<Long> extraGpas = new ArrayList<>();
        long end = madtGpa + madt.length;
        for (byte[] table : extraTables) {
            extraGpas.add(next);
            xsdtEntries.add(next);
            end = next + table.length;
            next = align(end, TABLE_ALIGNMENT);
        }
        if (end > BootLayout.ACPI_END_GPA) {
            throw new IllegalStateException("ACPI tables need 0x" + Long.toHexString(baseGpa) + "-0x"
                + Long.toHexString(end) + " (" + (end - baseGpa) + " bytes), past the BIOS area's end at 0x"
                + Long.toHexString(BootLayout.ACPI_END_GPA));
        }

        // Zero the span first: after a guest reset it holds whatever the guest left there.
        mem.fill(baseGpa, end - baseGpa, (byte) 0);
        mem.write(rsdpGpa, Rsdp.build(xsdtGpa));
        mem.write(xsdtGpa, Xsdt.build(xsdtEntries));
        mem.write(fadtGpa, Fadt.build(facsGpa, dsdtGpa));
        mem.write(facsGpa, facs);
        mem.write(dsdtGpa, dsdt);
        mem.write(madtGpa, madt);
        for (int i = 0; i < extraTables.size(); i++) {
            mem.write(extraGpas.get(i), extraTables.get(i));
        }
        return rsdpGpa;
    }

    private static long align(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }
}
