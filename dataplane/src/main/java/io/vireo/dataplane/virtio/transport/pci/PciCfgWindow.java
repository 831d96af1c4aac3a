package io.vireo.dataplane.virtio.transport.pci;

import io.vireo.dataplane.pci.PciConfigSpace;

/**
 * The VIRTIO_PCI_CAP_PCI_CFG window (§4.1.4.9): config-space access to any BAR. The driver writes a BAR, an offset
 * and a length into the capability, then reads or writes pci_cfg_data; the function turns that into a BAR access.
 */
final class PciCfgWindow {
    private final PciConfigSpace config;
    private final int cap;

    PciCfgWindow(PciConfigSpace config, int cap) {
        this.config = config;
        this.cap = cap;
    }

    /** Whether a config access of {@code size} bytes at {@code offset} is one to pci_cfg_data. */
    boolean isData(int offset, int size) {
        return offset == cap + VirtioPciLayout.PCI_CFG_DATA && size >= 1 && size <= 4;
    }

    int bar() {
        return config.read(cap + VirtioPciLayout.CAP_BAR, 1);
    }

    long offset() {
        return Integer.toUnsignedLong(config.read(cap + VirtioPciLayout.CAP_OFFSET, 4));
    }

    /** §4.1.4.9: a length of 1, 2 or 4 and an offset aligned to it, else 0 (the access does nothing). */
    int length() {
        int length = config.read(cap + VirtioPciLayout.CAP_LENGTH, 4);
        boolean ok = (length == 1 || length == 2 || length == 4) && offset() % length == 0;
        return ok ? length : 0;
    }
}
