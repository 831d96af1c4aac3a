package io.vireo.vmm.pci;

import io.vireo.vmm.acpi.AcpiTables;
import io.vireo.vmm.acpi.Aml;
import io.vireo.vmm.acpi.AmlResource;
import io.vireo.vmm.acpi.Mcfg;
import io.vireo.vmm.boot.E820Entry;
import io.vireo.vmm.boot.E820Map;

/**
 * How the guest's ACPI tables describe the PCI host bridge: the MCFG table (the ECAM window) and, in the DSDT,
 *
 * <pre>
 * Scope (\_SB) {
 *     Device (PCI0) {                                  // PCI Firmware 3.2, 4.1.5; ACPI 6.5, 6.1.5 and 6.5.6
 *         Name (_HID, EisaId ("PNP0A08"))              // PCI Express root bridge
 *         Name (_CID, EisaId ("PNP0A03"))              // ... compatible with a PCI root bridge
 *         Name (_SEG, 0)  Name (_BBN, 0)  Name (_UID, 0)
 *         Name (_CRS, ResourceTemplate () {
 *             WordBusNumber (0-0)                      // the buses below this bridge
 *             IO (Decode16, 0xCF8, 0xCF8, 1, 8)        // consumed: config mechanism #1
 *             WordIO (0x0000-0x0CF7)  WordIO (0x0D00-0xFFFF)   // forwarded I/O
 *             DWordMemory (0xC0000000-0xDFFFFFFF)      // 32-bit BAR window
 *             QWordMemory (64-bit BAR window)
 *         })
 *     }
 *     Device (MBRD) {                                  // motherboard resources (PNP0C02)
 *         Name (_HID, EisaId ("PNP0C02"))  Name (_UID, 0)
 *         Name (_CRS, ResourceTemplate () { Memory32Fixed (ReadWrite, 0xE0000000, 0x100000) })
 *     }
 * }
 * </pre>
 * The ECAM window is reserved twice, as firmware does: in e820 ({@link #e820(E820Map)}), which Linux checks
 * early, and as a PNP0C02 motherboard resource, which it checks late (arch/x86/pci/mmconfig-shared.c,
 * "MMCONFIG ... not reserved in ACPI motherboard resources"). Either alone makes Linux use ECAM.
 *
 * <p>No {@code _PRT}: Vireo's PCI devices interrupt by MSI-X only (interrupt pin 0).
 */
public final class PciAcpi {
    /** The I/O ports the host bridge forwards, around the config mechanism's 0xCF8-0xCFF. */
    public static final int IO_LOW_END = 0x0cf7;
    public static final int IO_HIGH_START = 0x0d00;

    private PciAcpi() {
    }

    /** Adds the MCFG table and the DSDT objects to {@code tables}. */
    public static AcpiTables addTo(AcpiTables tables, PciWindows windows) {
        return tables.addTable(mcfg()).addDsdtObject(dsdt(windows));
    }

    /** {@code map} with the ECAM window reserved. */
    public static E820Map e820(E820Map map) {
        return map.with(ecamE820Entry());
    }

    public static E820Entry ecamE820Entry() {
        return PciEcam.e820Entry();
    }

    /** MCFG: one window, segment 0, buses 0 to {@link PciEcam#BUSES} - 1. */
    public static byte[] mcfg() {
        return Mcfg.build(PciEcam.BASE_GPA, 0, 0, PciEcam.BUSES - 1);
    }

    /** The {@code Scope(\_SB)} term with {@code PCI0} and {@code MBRD}. */
    public static byte[] dsdt(PciWindows w) {
        byte[] crs = AmlResource.template(
            AmlResource.wordBusNumber(0, PciEcam.BUSES - 1),
            AmlResource.io(PciConfigMechanism1.CONFIG_ADDRESS_PORT, PciConfigMechanism1.CONFIG_ADDRESS_PORT, 1, 8),
            AmlResource.wordIo(0, IO_LOW_END),
            AmlResource.wordIo(IO_HIGH_START, 0xffff),
            AmlResource.dwordMemory(w.mem32Base(), w.mem32End() - 1),
            AmlResource.qwordMemory(w.mem64Base(), w.mem64End() - 1));
        byte[] pci0 = Aml.device("PCI0",
            Aml.name("_HID", Aml.eisaId("PNP0A08")),
            Aml.name("_CID", Aml.eisaId("PNP0A03")),
            Aml.name("_SEG", Aml.integer(0)),
            Aml.name("_BBN", Aml.integer(0)),
            Aml.name("_UID", Aml.integer(0)),
            Aml.name("_CRS", crs));
        byte[] mbrd = Aml.device("MBRD",
            Aml.name("_HID", Aml.eisaId("PNP0C02")),
            Aml.name("_UID", Aml.integer(0)),
            Aml.name("_CRS", AmlResource.template(AmlResource.memory32Fixed(PciEcam.BASE_GPA, PciEcam.SIZE_BYTES))));
        return Aml.scope("\\_SB", pci0, mbrd);
    }
}
