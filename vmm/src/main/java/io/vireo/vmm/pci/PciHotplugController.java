package io.vireo.vmm.pci;

import io.vireo.vmm.acpi.Aml;
import io.vireo.vmm.acpi.AmlResource;
import io.vireo.vmm.devices.PioDevice;

import java.util.ArrayList;
import java.util.List;

/**
 * ACPI PCI hotplug, the way Linux's acpiphp follows it (drivers/pci/hotplug/acpiphp_glue.c): slot objects with
 * {@code _ADR}, {@code _SUN} and {@code _EJ0} under each host bridge, a {@code Notify} on the slot (1 = device check:
 * rescan it; 3 = eject request: unbind the driver, then call {@code _EJ0}), raised from a general-purpose event.
 *
 * <p>The registers are QEMU's PIIX4 ones (docs/specs/acpi_pci_hotplug.rst) plus Cloud Hypervisor's segment select,
 * in port I/O at {@link #PORT}, dword accesses:
 * <pre>
 * offset  name  read                                       write
 * 0x0     PCIU  slots added on the selected segment,       -
 *               cleared by the read
 * 0x4     PCID  slots to remove (eject requests),          -
 *               cleared by the read
 * 0x8     B0EJ  0                                          eject the slots of the bitmap (the guest's _EJ0)
 * 0xC     PSEG  the selected segment                       select a segment (ignored past the last)
 * </pre>
 * Why this and not Cloud Hypervisor's GED: Vireo's FADT is a full ACPI PC with an SCI already (the PM1 block, the
 * {@code \_S5} power-off), so a GPE block costs four ports and needs nothing of the guest kernel, while a GED needs
 * the ACPI GED driver (Linux 5.5+, {@code ACPI0013}) and a hardware-reduced FADT. The segment register is Cloud
 * Hypervisor's: QEMU reaches bridges with BSEL, Vireo has segments, so one controller serves every segment and
 * {@code PCNT} of each host bridge selects its own before reading PCIU/PCID.
 *
 * <p>Threads: {@link #requestAdd}/{@link #requestRemove} run on control threads, the registers on vCPU threads (the
 * guest's AML holds its {@code BLCK} mutex around PSEG + PCIU/PCID/B0EJ); the state is guarded by this object. An
 * eject calls the {@link Ejector} on the vCPU thread that wrote B0EJ, outside the lock.
 */
public final class PciHotplugController implements PioDevice {
    public static final int PORT = 0xae00;
    public static final int LENGTH = 0x10;
    static final int PCIU = 0x0;
    static final int PCID = 0x4;
    static final int B0EJ = 0x8;
    static final int PSEG = 0xc;
    /** acpiphp's notify values (ACPI 6.5, 5.6.6). */
    public static final int DEVICE_CHECK = 1;
    public static final int EJECT_REQUEST = 3;
    /** The controller's ACPI name (Cloud Hypervisor's). */
    public static final String NAME = "\\_SB.PHPR";

    /** Removes what the guest ejected. Called on a vCPU thread; must not block on the guest. */
    public interface Ejector {
        void eject(int segment, int slot);
    }

    private final int[] up;
    private final int[] down;
    private final Ejector ejector;
    private final Runnable notifier;
    private int selected;

    /**
     * @param segments the PCI segments (host bridges) the controller serves
     * @param ejector  told of each slot the guest ejects
     * @param notifier raises the general-purpose event whose method scans the slots ({@code \_GPE._E01})
     */
    public PciHotplugController(int segments, Ejector ejector, Runnable notifier) {
        up = new int[segments];
        down = new int[segments];
        this.ejector = ejector;
        this.notifier = notifier;
    }

    /** Tells the guest a device is now in {@code slot} of {@code segment}. */
    public void requestAdd(int segment, int slot) {
        checkSlot(segment, slot);
        synchronized (this) {
            up[segment] |= 1 << slot;
            down[segment] &= ~(1 << slot);
        }
        notifier.run();
    }

    /** Asks the guest to eject {@code slot} of {@code segment}; it answers (or not) through B0EJ. */
    public void requestRemove(int segment, int slot) {
        checkSlot(segment, slot);
        synchronized (this) {
            down[segment] |= 1 << slot;
            up[segment] &= ~(1 << slot);
        }
        notifier.run();
    }

    /** Withdraws an eject request the guest has not read yet (the remove timed out). */
    public synchronized void cancelRemove(int segment, int slot) {
        checkSlot(segment, slot);
        down[segment] &= ~(1 << slot);
    }

    private void checkSlot(int segment, int slot) {
        if (segment < 0 || segment >= up.length || slot <= PciBus.HOST_BRIDGE_DEVICE
            || slot >= PciAddress.DEVICES_PER_BUS) {
            throw new IllegalArgumentException("no hotplug slot " + slot + " on segment " + segment);
        }
    }

    @Override
    public int read(int port, int size) {
        int off = port - PORT;
        if (size != 4 || (off & 3) != 0) {
            return -1;
        }
        synchronized (this) {
            int v;
            switch (off) {
                case PCIU -> {
                    v = up[selected];
                    up[selected] = 0;
                }
                case PCID -> {
                    v = down[selected];
                    down[selected] = 0;
                }
                case PSEG -> v = selected;
                default -> v = 0;
            }
            return v;
        }
    }

    @Override
    public void write(int port, int size, int value) {
        int off = port - PORT;
        if (size != 4 || (off & 3) != 0) {
            return;
        }
        int segment;
        synchronized (this) {
            if (off == PSEG) {
                if (value >= 0 && value < up.length) {
                    selected = value;
                }
                return;
            }
            if (off != B0EJ) {
                return;
            }
            segment = selected;
        }
        for (int slot = PciBus.HOST_BRIDGE_DEVICE + 1; slot < PciAddress.DEVICES_PER_BUS; slot++) {
            if ((value & 1 << slot) != 0) {
                ejector.eject(segment, slot);
            }
        }
    }

    // ---- AML --------------------------------------------------------------------------------------------------

    /**
     * {@code \_SB.PHPR}: the registers as fields, the {@code BLCK} mutex, {@code PCEJ(slot, segment)} (select, eject)
     * and {@code PSCN} (each host bridge's {@code PCNT}). Goes inside {@code Scope(\_SB)}.
     *
     * <pre>
     * Device (PHPR) {
     *     Name (_HID, "PNP0A06")  Name (_UID, "PCI Hotplug Controller")
     *     Name (_CRS, ResourceTemplate () { IO (Decode16, 0xAE00, 0xAE00, 1, 16) })
     *     OperationRegion (PCST, SystemIO, 0xAE00, 16)
     *     Field (PCST, DWordAcc, NoLock, WriteAsZeros) { PCIU, 32, PCID, 32, B0EJ, 32, PSEG, 32 }
     *     Mutex (BLCK, 0)
     *     Method (PCEJ, 2) { Acquire (BLCK, 0xFFFF)  PSEG = Arg1  B0EJ = 1 &lt;&lt; Arg0  Release (BLCK)  Return (0) }
     *     Method (PSCN, 0) { \_SB.PCI0.PCNT ()  \_SB.PC01.PCNT () ... }
     * }
     * </pre>
     */
    public static byte[] controllerAml(int segments) {
        List<byte[]> scan = new ArrayList<>();
        for (int s = 0; s < segments; s++) {
            scan.add(Aml.call("\\_SB." + PciAcpi.bridgeName(s) + ".PCNT"));
        }
        return Aml.device("PHPR",
            Aml.name("_HID", Aml.string("PNP0A06")),
            Aml.name("_UID", Aml.string("PCI Hotplug Controller")),
            Aml.name("_CRS", AmlResource.template(AmlResource.io(PORT, PORT, 1, LENGTH))),
            Aml.operationRegion("PCST", Aml.REGION_SYSTEM_IO, PORT, LENGTH),
            Aml.field("PCST", Aml.FIELD_DWORD_ACC_WRITE_ZEROS, new String[] {"PCIU", "PCID", "B0EJ", "PSEG"},
                new int[] {32, 32, 32, 32}),
            Aml.mutex("BLCK"),
            Aml.method("PCEJ", 2,
                Aml.acquire("BLCK"),
                Aml.store(Aml.arg(1), Aml.namePath("PSEG")),
                Aml.store(Aml.shiftLeft(Aml.integer(1), Aml.arg(0)), Aml.namePath("B0EJ")),
                Aml.release("BLCK"),
                Aml.ret(Aml.integer(0))),
            Aml.method("PSCN", 0, scan.toArray(byte[][]::new)));
    }

    /** {@code Scope(\_GPE) { Method(_E01) { \_SB.PHPR.PSCN() } }}: the event {@link #requestAdd} raises. */
    public static byte[] gpeAml(int gpe) {
        return Aml.scope("\\_GPE", Aml.method("_E" + Aml.hex2(gpe), 0, Aml.call(NAME + ".PSCN")));
    }

    /**
     * The terms inside segment {@code segment}'s host bridge: {@code PCNT}, which selects the segment, reads PCIU and
     * PCID once each (they clear on read) and notifies each slot whose bit is set, and the slots 1-31:
     *
     * <pre>
     * Method (PCNT, 0) {
     *     Acquire (\_SB.PHPR.BLCK, 0xFFFF)
     *     \_SB.PHPR.PSEG = segment  Local0 = \_SB.PHPR.PCIU  Local1 = \_SB.PHPR.PCID
     *     Release (\_SB.PHPR.BLCK)
     *     If (Local0 &amp; 0x2) { Notify (S01, 1) }  ...  If (Local1 &amp; 0x2) { Notify (S01, 3) }  ...
     * }
     * Device (S01) { Name (_ADR, 0x00010000)  Name (_SUN, 1)  Method (_EJ0, 1) { \_SB.PHPR.PCEJ (1, segment) } }
     * ...
     * </pre>
     */
    public static byte[][] bridgeAml(int segment) {
        String bridge = "\\_SB." + PciAcpi.bridgeName(segment);
        List<byte[]> pcnt = new ArrayList<>(List.of(
            Aml.acquire(NAME + ".BLCK"),
            Aml.store(Aml.integer(segment), Aml.namePath(NAME + ".PSEG")),
            Aml.store(Aml.namePath(NAME + ".PCIU"), Aml.local(0)),
            Aml.store(Aml.namePath(NAME + ".PCID"), Aml.local(1)),
            Aml.release(NAME + ".BLCK")));
        List<byte[]> terms = new ArrayList<>();
        for (int slot = PciBus.HOST_BRIDGE_DEVICE + 1; slot < PciAddress.DEVICES_PER_BUS; slot++) {
            pcnt.add(Aml.ifThen(Aml.and(Aml.local(0), Aml.integer(1L << slot)),
                Aml.notify(bridge + "." + slotName(slot), DEVICE_CHECK)));
            pcnt.add(Aml.ifThen(Aml.and(Aml.local(1), Aml.integer(1L << slot)),
                Aml.notify(bridge + "." + slotName(slot), EJECT_REQUEST)));
            terms.add(Aml.device(slotName(slot),
                Aml.name("_ADR", Aml.integer((long) slot << 16)),
                Aml.name("_SUN", Aml.integer(slot)),
                Aml.method("_EJ0", 1, Aml.call(NAME + ".PCEJ", Aml.integer(slot), Aml.integer(segment)))));
        }
        terms.add(0, Aml.method("PCNT", 0, pcnt.toArray(byte[][]::new)));
        return terms.toArray(byte[][]::new);
    }

    /** {@code S01} ... {@code S1F}. */
    public static String slotName(int slot) {
        return "S" + Aml.hex2(slot);
    }
}
