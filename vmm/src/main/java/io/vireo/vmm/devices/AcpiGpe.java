package io.vireo.vmm.devices;

/**
 * The ACPI general-purpose event block GPE0 (ACPI 6.5, 4.8.4.1), at the ports the FADT advertises (GPE0_BLK,
 * GPE0_BLK_LEN 4), as on QEMU's PIIX4: two status bytes then two enable bytes, 16 events.
 *
 * <pre>
 * port     register      behaviour
 * 0xAFE0   GPE0_STS 0-7  write 1 to clear; {@link #raise} sets a bit
 * 0xAFE1   GPE0_STS 8-15
 * 0xAFE2   GPE0_EN 0-7   read/write
 * 0xAFE3   GPE0_EN 8-15
 * </pre>
 * The SCI (ISA IRQ 9, level, {@link AcpiPm#SCI_IRQ}) is asserted while any status bit is set whose enable bit is set:
 * the OS runs {@code \_GPE._Lxx}/{@code _Exx} for it, then clears the status. Event 1 is PCI hotplug (QEMU's
 * numbering, {@link #PCI_HOTPLUG}). Thread-safe: raised from control threads, read and written from vCPUs.
 */
public final class AcpiGpe implements PioDevice {
    public static final int BASE = 0xafe0;
    public static final int LENGTH = 4;
    /** GPE0 event of the PCI hotplug controller: its status bit is 1 << 1, its method {@code \_GPE._E01}. */
    public static final int PCI_HOTPLUG = 1;

    private final IrqLine sci;
    private int status;
    private int enable;
    private boolean asserted;

    public AcpiGpe(IrqLine sci) {
        this.sci = sci;
    }

    /** Sets event {@code gpe}'s status bit (and asserts the SCI if it is enabled). Any thread. */
    public void raise(int gpe) {
        if (gpe < 0 || gpe >= 16) {
            throw new IllegalArgumentException("GPE0 has events 0-15, not " + gpe);
        }
        synchronized (this) {
            status |= 1 << gpe;
            update();
        }
    }

    @Override
    public synchronized int read(int port, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) {
            int off = port - BASE + i;
            int reg = off < 2 ? status : off < 4 ? enable : 0;
            v |= ((reg >>> (8 * (off & 1))) & 0xff) << (8 * i);
        }
        return v;
    }

    @Override
    public synchronized void write(int port, int size, int value) {
        for (int i = 0; i < size; i++) {
            int off = port - BASE + i;
            int b = (value >>> (8 * i)) & 0xff;
            int shift = 8 * (off & 1);
            if (off < 2) {
                status &= ~(b << shift);
            } else if (off < 4) {
                enable = (enable & ~(0xff << shift)) | (b << shift);
            }
        }
        update();
    }

    /** Whether the SCI is asserted now (for tests). */
    public synchronized boolean sciAsserted() {
        return asserted;
    }

    // KVM_IRQ_LINE under our lock: the line's level and our state change together, and it never calls back.
    private void update() {
        boolean level = (status & enable) != 0;
        if (level != asserted) {
            asserted = level;
            sci.set(level);
        }
    }
}
