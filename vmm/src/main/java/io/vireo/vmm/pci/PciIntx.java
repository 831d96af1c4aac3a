package io.vireo.vmm.pci;

import io.vireo.vmm.acpi.Aml;

/**
 * Legacy PCI interrupts: INTA# of every slot, routed to IOAPIC pins 16-23 (level-triggered, shared), as the host
 * bridges' {@code _PRT} says. Vireo's devices interrupt by MSI-X; INTx is the fallback a driver takes when it gets no
 * MSI-X vector, e.g. Linux with more virtio disks than its CPUs have vectors for (each MSI-X device reserves a vector
 * on every CPU of its affinity; past ~200 disks per CPU, virtio_pci falls back to INTx).
 *
 * <p>A line is the OR of its devices' INTx#: this counts the asserted ones per pin and sets the KVM line on the first
 * assertion and the last deassertion. Each device asserts at most once until it deasserts (the transport keeps that
 * state), so the count is exact. Slow path only (an ioctl per edge): thread-safe under this object's lock, never
 * calling back.
 */
public final class PciIntx {
    /** The first IOAPIC pin for PCI (0-15 are ISA's). */
    public static final int FIRST_GSI = 16;
    public static final int PINS = 8;

    /** Sets an IOAPIC input's level (KVM_IRQ_LINE). */
    @FunctionalInterface
    public interface Lines {
        void set(int gsi, boolean level);
    }

    private final Lines lines;
    private final int[] asserted = new int[PINS];

    public PciIntx(Lines lines) {
        this.lines = lines;
    }

    /** The IOAPIC pin of INTA# of {@code slot} on {@code segment}: pins rotate over slots (and segments). */
    public static int gsi(int segment, int slot) {
        return FIRST_GSI + Math.floorMod(slot + segment, PINS);
    }

    /** {@code slot} of {@code segment} asserts ({@code true}) or deasserts its INTA#. */
    public synchronized void set(int segment, int slot, boolean level) {
        int pin = gsi(segment, slot) - FIRST_GSI;
        int before = asserted[pin];
        asserted[pin] = Math.max(0, before + (level ? 1 : -1));
        if ((before == 0) != (asserted[pin] == 0)) {
            lines.set(FIRST_GSI + pin, asserted[pin] > 0);
        }
    }

    /**
     * {@code Name(_PRT, Package() { Package() { slot << 16 | 0xFFFF, 0, 0, GSI }, ... })} for slots 1-31 of
     * {@code segment}: INTA# (pin 0) of each slot straight to a global system interrupt (source 0), which an OS takes
     * as level-triggered, active low (ACPI 6.5, 6.2.13).
     */
    public static byte[] prt(int segment) {
        byte[][] entries = new byte[PciAddress.DEVICES_PER_BUS - 1][];
        for (int slot = 1; slot < PciAddress.DEVICES_PER_BUS; slot++) {
            entries[slot - 1] = Aml.pkg(Aml.integer((long) slot << 16 | 0xffff), Aml.integer(0), Aml.integer(0),
                Aml.integer(gsi(segment, slot)));
        }
        return Aml.name("_PRT", Aml.pkg(entries));
    }
}
