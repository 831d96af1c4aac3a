package io.vireo.vmm.pci;

import io.vireo.vmm.acpi.AcpiTables;
import io.vireo.vmm.acpi.Aml;
import io.vireo.vmm.acpi.AmlResource;
import io.vireo.vmm.acpi.Mcfg;
import io.vireo.vmm.boot.E820Entry;
import io.vireo.vmm.boot.E820Map;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

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
 * <p>{@code _PRT} routes INTA# of each slot to an IOAPIC pin ({@link PciIntx}): the fallback of a driver that gets no
 * MSI-X vector.
 *
 * <p>With more PCI segments ({@link PciSegments}) each is a host bridge of its own, {@code PC01}, {@code PC02}, ...
 * with {@code _SEG} and {@code _UID} = the segment, bus 0 only, its slice of the memory windows and no I/O (as Cloud
 * Hypervisor's); the MCFG has one window per segment and {@code MBRD} reserves them all (they are contiguous).
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

    /**
     * Adds the MCFG (one window per segment) and the DSDT objects (one host bridge per segment, each with
     * {@code bridgeTerms} of its segment appended, e.g. hotplug slots) to {@code tables}.
     */
    public static AcpiTables addTo(AcpiTables tables, PciSegments segments, IntFunction<byte[][]> bridgeTerms) {
        List<PciWindows> w = new ArrayList<>();
        for (int s = 0; s < segments.count(); s++) {
            w.add(segments.windows(s));
        }
        return tables.addTable(mcfg(segments.count())).addDsdtObject(dsdt(w, bridgeTerms));
    }

    /** {@code map} with the ECAM window reserved. */
    public static E820Map e820(E820Map map) {
        return map.with(ecamE820Entry());
    }

    /** {@code map} with the ECAM windows of {@code segments} segments reserved. */
    public static E820Map e820(E820Map map, int segments) {
        return map.with(PciEcam.e820Entry(segments));
    }

    public static E820Entry ecamE820Entry() {
        return PciEcam.e820Entry();
    }

    /** MCFG: one window, segment 0, buses 0 to {@link PciEcam#BUSES} - 1. */
    public static byte[] mcfg() {
        return mcfg(1);
    }

    /** MCFG: one window per segment, {@link PciEcam#baseOf}, buses 0 to {@link PciEcam#BUSES} - 1. */
    public static byte[] mcfg(int segments) {
        List<Mcfg.Window> windows = new ArrayList<>();
        for (int s = 0; s < segments; s++) {
            windows.add(new Mcfg.Window(PciEcam.baseOf(s), s, 0, PciEcam.BUSES - 1));
        }
        return Mcfg.build(windows);
    }

    /** The ACPI name of segment {@code segment}'s host bridge: {@code PCI0}, then {@code PC01}, {@code PC02}, ... */
    public static String bridgeName(int segment) {
        return segment == 0 ? "PCI0" : "PC" + Aml.hex2(segment);
    }

    /** The {@code Scope(\_SB)} term with {@code PCI0} and {@code MBRD}. */
    public static byte[] dsdt(PciWindows w) {
        return dsdt(List.of(w), s -> new byte[0][]);
    }

    /**
     * The {@code Scope(\_SB)} term with one host bridge per segment ({@code windows.get(s)} its windows,
     * {@code bridgeTerms.apply(s)} appended inside it) and {@code MBRD} reserving every ECAM window.
     */
    public static byte[] dsdt(List<PciWindows> windows, IntFunction<byte[][]> bridgeTerms) {
        List<byte[]> terms = new ArrayList<>();
        for (int s = 0; s < windows.size(); s++) {
            terms.add(hostBridge(s, windows.get(s), bridgeTerms.apply(s)));
        }
        terms.add(Aml.device("MBRD",
            Aml.name("_HID", Aml.eisaId("PNP0C02")),
            Aml.name("_UID", Aml.integer(0)),
            Aml.name("_CRS", AmlResource.template(AmlResource.memory32Fixed(PciEcam.BASE_GPA,
                windows.size() * PciEcam.SIZE_BYTES)))));
        return Aml.scope("\\_SB", terms.toArray(byte[][]::new));
    }

    /**
     * Segment {@code segment}'s host bridge: {@code _SEG}, {@code _BBN} 0, {@code _UID} = segment, and a {@code _CRS}
     * with bus 0, its memory windows and, for segment 0 only, configuration mechanism #1 and the I/O ranges.
     */
    static byte[] hostBridge(int segment, PciWindows w, byte[]... extra) {
        List<byte[]> res = new ArrayList<>();
        res.add(AmlResource.wordBusNumber(0, PciEcam.BUSES - 1));
        if (segment == 0) {
            res.add(AmlResource.io(PciConfigMechanism1.CONFIG_ADDRESS_PORT, PciConfigMechanism1.CONFIG_ADDRESS_PORT, 1,
                8));
            res.add(AmlResource.wordIo(0, IO_LOW_END));
            res.add(AmlResource.wordIo(IO_HIGH_START, 0xffff));
        }
        res.add(AmlResource.dwordMemory(w.mem32Base(), w.mem32End() - 1));
        res.add(AmlResource.qwordMemory(w.mem64Base(), w.mem64End() - 1));
        List<byte[]> terms = new ArrayList<>(List.of(
            Aml.name("_HID", Aml.eisaId("PNP0A08")),
            Aml.name("_CID", Aml.eisaId("PNP0A03")),
            Aml.name("_SEG", Aml.integer(segment)),
            Aml.name("_BBN", Aml.integer(0)),
            Aml.name("_UID", Aml.integer(segment)),
            Aml.name("_CRS", AmlResource.template(res.toArray(byte[][]::new))),
            PciIntx.prt(segment)));
        terms.addAll(List.of(extra));
        return Aml.device(bridgeName(segment), terms.toArray(byte[][]::new));
    }
}
