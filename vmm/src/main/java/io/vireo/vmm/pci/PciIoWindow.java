package io.vireo.vmm.pci;

import io.vireo.vmm.devices.PioDevice;

/**
 * The I/O ports where PCI I/O BARs live ({@link PciWindows#IO_BASE}-0xFFFF), as one {@link PioDevice} for
 * the port bus, which has fixed registrations; inside, an {@link MmioBus} keyed by port follows the BARs as
 * the guest moves them. Register it as {@code (PciWindows.IO_BASE, PciWindows.IO_SIZE)}. A BAR the guest moves
 * outside this window is not reached (firmware-assigned BARs stay inside; Linux keeps them).
 */
public final class PciIoWindow implements PioDevice {
    private final MmioBus ports;

    public PciIoWindow(MmioBus ports) {
        this.ports = ports;
    }

    @Override
    public int read(int port, int size) {
        return (int) ports.read(port, size);
    }

    @Override
    public void write(int port, int size, int value) {
        ports.write(port, size, Integer.toUnsignedLong(value));
    }
}
