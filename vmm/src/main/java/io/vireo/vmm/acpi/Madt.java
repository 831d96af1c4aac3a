package io.vireo.vmm.acpi;

import io.vireo.vmm.devices.AcpiPm;

/**
 * Multiple APIC Description Table (ACPI 6.5, 5.2.12): the in-kernel LAPICs and IOAPIC of a KVM machine.
 *
 * <pre>
 * table body                          Processor Local APIC (type 0, 8 bytes)
 * +----+----------------------+       +---+------+-----+---------+-----------+
 * | 36 | LAPIC address    u32 |       | 0 | type | len | ACPI UID| APIC ID   | flags u32 at 4
 * | 40 | Flags (PCAT_COMPAT)  |       +---+------+-----+---------+-----------+
 * | 44 | structures...        |       I/O APIC (type 1, 12): id at 2, address u32 at 4, GSI base u32 at 8
 * +----+----------------------+       Interrupt Source Override (type 2, 10): bus 2, source 3, GSI u32 4,
 *                                       flags u16 at 8
 *                                     Local APIC NMI (type 4, 6): UID 2 (0xFF = all), flags u16 3, LINT# 5
 * </pre>
 *
 * <p>CPU i gets APIC id i and ACPI UID i. The IOAPIC's id is 0: KVM's in-kernel IOAPIC resets its ID
 * register to 0, so the table agrees with what the guest reads back; xAPIC systems deliver interrupts as
 * messages, not over a shared APIC bus, so IOAPIC and LAPIC ids need not differ; the IOAPIC ID register
 * holds only 4 bits, which "id = number of CPUs" would overflow past 15 CPUs; and QEMU, Firecracker and
 * Cloud Hypervisor all use 0.
 */
public final class Madt {
    public static final int LAPIC_ADDRESS_OFFSET = 36;
    public static final int FLAGS_OFFSET = 40;
    public static final int STRUCTURES_OFFSET = 44;
    public static final int REVISION = 5;
    public static final int PCAT_COMPAT = 1;

    public static final long LAPIC_ADDRESS = 0xfee0_0000L;
    public static final long IOAPIC_ADDRESS = 0xfec0_0000L;
    public static final int IOAPIC_ID = 0;
    /** xAPIC ids are 8 bits and 0xFF is the broadcast id, so CPUs take ids 0..254. */
    public static final int MAX_CPUS = 255;

    public static final int TYPE_LOCAL_APIC = 0;
    public static final int TYPE_IO_APIC = 1;
    public static final int TYPE_INTERRUPT_OVERRIDE = 2;
    public static final int TYPE_LOCAL_APIC_NMI = 4;
    public static final int LOCAL_APIC_SIZE = 8;
    public static final int IO_APIC_SIZE = 12;
    public static final int INTERRUPT_OVERRIDE_SIZE = 10;
    public static final int LOCAL_APIC_NMI_SIZE = 6;
    public static final int LOCAL_APIC_ENABLED = 1;

    /** MPS INTI flags (ACPI 6.5, "Interrupt Source Override Structure"): polarity bits 1:0, trigger bits 3:2. */
    public static final int INTI_ACTIVE_HIGH = 0x1;
    public static final int INTI_EDGE = 0x1 << 2;
    public static final int INTI_LEVEL = 0x3 << 2;
    public static final int INTI_CONFORMS = 0;

    private Madt() {
    }

    public static byte[] build(int cpus) {
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new IllegalArgumentException("cpus=" + cpus + ": the MADT describes 1 to " + MAX_CPUS
                + " CPUs (xAPIC ids 0-254; 0xff is the broadcast id, and x2APIC entries are not implemented)");
        }
        AcpiTable t = new AcpiTable("APIC", REVISION);
        t.u32((int) LAPIC_ADDRESS).u32(PCAT_COMPAT);
        for (int cpu = 0; cpu < cpus; cpu++) {
            t.u8(TYPE_LOCAL_APIC).u8(LOCAL_APIC_SIZE).u8(cpu).u8(cpu).u32(LOCAL_APIC_ENABLED);
        }
        t.u8(TYPE_IO_APIC).u8(IO_APIC_SIZE).u8(IOAPIC_ID).u8(0).u32((int) IOAPIC_ADDRESS).u32(0);
        // The PIT's IRQ 0 is wired to IOAPIC pin 2 on PCs (pin 0 carries the 8259's ExtINT).
        override(t, 0, 2, INTI_ACTIVE_HIGH | INTI_EDGE);
        // The SCI is a level interrupt (FADT SCI_INT); active high is how KVM's IRQ line asserts it, as with
        // QEMU's PIIX.
        override(t, AcpiPm.SCI_IRQ, AcpiPm.SCI_IRQ, INTI_ACTIVE_HIGH | INTI_LEVEL);
        // NMI arrives on LINT1 of every processor (UID 0xFF = all), as on every PC.
        t.u8(TYPE_LOCAL_APIC_NMI).u8(LOCAL_APIC_NMI_SIZE).u8(0xff).u16(INTI_CONFORMS).u8(1);
        return t.toBytes();
    }

    private static void override(AcpiTable t, int isaIrq, int gsi, int flags) {
        t.u8(TYPE_INTERRUPT_OVERRIDE).u8(INTERRUPT_OVERRIDE_SIZE).u8(0).u8(isaIrq).u32(gsi).u16(flags);
    }
}
