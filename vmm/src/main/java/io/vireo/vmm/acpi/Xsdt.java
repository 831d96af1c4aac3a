package io.vireo.vmm.acpi;

import java.util.List;

/** Extended System Description Table (ACPI 6.5, 5.2.8): the header, then one u64 GPA per table. */
public final class Xsdt {
    public static final int ENTRIES_OFFSET = AcpiTable.HEADER_SIZE;
    public static final int REVISION = 1;

    private Xsdt() {
    }

    public static byte[] build(List<Long> tableGpas) {
        AcpiTable t = new AcpiTable("XSDT", REVISION);
        for (long gpa : tableGpas) {
            t.u64(gpa);
        }
        return t.toBytes();
    }

    /** Size of an XSDT with {@code entries} pointers, known before the addresses are. */
    public static int size(int entries) {
        return AcpiTable.HEADER_SIZE + 8 * entries;
    }
}
