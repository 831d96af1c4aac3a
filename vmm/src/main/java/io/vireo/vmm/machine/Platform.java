package io.vireo.vmm.machine;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.vmm.devices.PortIoBus;
import io.vireo.vmm.pci.MmioBus;
import io.vireo.vmm.pci.PciBarMapper;
import io.vireo.vmm.pci.PciBus;
import io.vireo.vmm.pci.PciConfigMechanism1;
import io.vireo.vmm.pci.PciIoWindow;
import io.vireo.vmm.pci.PciSegments;
import io.vireo.vmm.pci.PciWindows;

/**
 * The PC platform's buses: port I/O, MMIO, and the PCI segments, each a bus 0 with its host bridge reachable through
 * ECAM (described by the ACPI MCFG table), segment 0's also through configuration mechanism #1 (0xCF8/0xCFC). BARs
 * get firmware-style addresses before the vCPUs start; moves by the guest follow through the bar mapper.
 */
record Platform(PortIoBus pio, MmioBus mmio, MmioBus pciIo, PciSegments segments, PciWindows windows,
                PciBarMapper mapper) {
    static Platform create(GuestMemory memory, int pciSegments) {
        long ramEnd = 0;
        for (int i = 0; i < memory.regionCount(); i++) {
            ramEnd = Math.max(ramEnd, memory.region(i).endGpa());
        }
        PciWindows windows = PciWindows.forRamEnd(ramEnd);
        MmioBus mmio = new MmioBus();
        MmioBus pciIo = new MmioBus();
        PortIoBus pio = new PortIoBus();
        PciSegments segments = new PciSegments(pciSegments, windows, mmio);
        PciConfigMechanism1 cf8 = new PciConfigMechanism1(segments.bus(0));
        pio.register(PciConfigMechanism1.CONFIG_ADDRESS_PORT, 1, cf8);
        pio.register(PciConfigMechanism1.CONFIG_DATA_PORT, 4, cf8);
        pio.register(PciWindows.IO_BASE, PciWindows.IO_SIZE, new PciIoWindow(pciIo));
        return new Platform(pio, mmio, pciIo, segments, windows, new PciBarMapper(mmio, pciIo));
    }

    /** Segment 0's bus. */
    PciBus pci() {
        return segments.bus(0);
    }

    /** Assigns BAR addresses and maps them; call once every device is on the bus, before vCPUs run. */
    void finishPci() {
        segments.assignAll();
        mapper.attach(segments);
    }
}
