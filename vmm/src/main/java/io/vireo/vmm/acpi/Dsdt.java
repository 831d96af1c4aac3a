package io.vireo.vmm.acpi;

import io.vireo.vmm.devices.AcpiPm;

import java.util.List;

/**
 * Differentiated System Description Table (ACPI 6.5, 5.2.11.1): the header followed by AML. Revision 2,
 * so AML integers are 64-bit.
 */
public final class Dsdt {
    public static final int REVISION = 2;

    private Dsdt() {
    }

    /**
     * {@code Name(\_S5, Package() {5, 5, 0, 0})}: the S5 (soft-off) sleep type values for PM1a_CNT and
     * PM1b_CNT, which the OS writes with SLP_EN to power off ({@link AcpiPm#SLP_TYP_S5}).
     */
    public static byte[] s5() {
        return Aml.name("\\_S5", Aml.pkg(Aml.integer(AcpiPm.SLP_TYP_S5), Aml.integer(AcpiPm.SLP_TYP_S5),
            Aml.integer(0), Aml.integer(0)));
    }

    /** The DSDT holding {@code \_S5} and then each of {@code objects} in order. */
    public static byte[] build(List<byte[]> objects) {
        AcpiTable t = new AcpiTable("DSDT", REVISION);
        t.bytes(s5());
        for (byte[] o : objects) {
            t.bytes(o);
        }
        return t.toBytes();
    }
}
