package io.vireo.dataplane.virtio.transport.pci;

import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.MODERN_BAR;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.MSIX_BAR;

import io.vireo.dataplane.pci.MsixCapability;
import io.vireo.dataplane.pci.MsixLayout;
import io.vireo.dataplane.pci.MsixVectorListener;
import io.vireo.dataplane.pci.PciBar;
import io.vireo.dataplane.pci.PciConfigSpace;

/**
 * The config space of a virtio PCI function as the guest first sees it (§4.1.2, §4.1.4): ids, BARs (legacy I/O BAR 0
 * for a transitional device, the MSI-X table and PBA in BAR 1, the modern regions in BAR 4), MSI-X with one vector
 * per queue plus one for config changes, and the virtio vendor capabilities pointing into BAR 4, the last one the
 * PCI_CFG window ({@link PciCfgWindow}).
 *
 * @param config    the function's config space
 * @param msix      its MSI-X capability
 * @param pciCfgCap offset of the VIRTIO_PCI_CAP_PCI_CFG capability
 */
record VirtioPciCapabilities(PciConfigSpace config, MsixCapability msix, int pciCfgCap) {

    /** Lays out a function for a device of {@code type} with {@code queueCount} queues and its config size. */
    static VirtioPciCapabilities build(int type, int queueCount, int configSize, boolean transitional,
                                       MsixVectorListener vectorListener) {
        PciConfigSpace config = transitional ? transitionalConfig(type) : new PciConfigSpace(VirtioPciLayout.VENDOR_ID,
            VirtioPciLayout.MODERN_DEVICE_ID_BASE + type, VirtioPciLayout.classCode(type));
        if (transitional) {
            config.setSubsystem(VirtioPciLayout.SUBSYSTEM_VENDOR_ID, type);
            config.setRevision(0);
            config.defineBar(VirtioPciLayout.LEGACY_BAR, PciBar.io(legacyBarSize(configSize)));
        } else {
            config.setSubsystem(VirtioPciLayout.SUBSYSTEM_VENDOR_ID, VirtioPciLayout.MODERN_SUBSYSTEM_ID);
            config.setRevision(1);
        }
        int vectors = queueCount + 1;
        long pbaOffset = Math.max(0x800, MsixLayout.tableSizeBytes(vectors));
        long msixBarSize = Math.max(0x1000, Long.highestOneBit(pbaOffset + MsixLayout.pbaSizeBytes(vectors) - 1) << 1);
        config.defineBar(MSIX_BAR, PciBar.memory32(msixBarSize, false));
        config.defineBar(MODERN_BAR, PciBar.memory32(VirtioPciLayout.MODERN_BAR_SIZE, false));
        MsixCapability msix = new MsixCapability(config, vectors, MSIX_BAR, 0, MSIX_BAR, pbaOffset, vectorListener);
        addVirtioCap(config, VirtioPciLayout.CFG_TYPE_COMMON, VirtioPciLayout.COMMON_CFG_OFFSET,
            VirtioPciLayout.COMMON_CFG_SIZE, -1);
        addVirtioCap(config, VirtioPciLayout.CFG_TYPE_NOTIFY, VirtioPciLayout.NOTIFY_CFG_OFFSET,
            queueCount * VirtioPciLayout.NOTIFY_OFF_MULTIPLIER, VirtioPciLayout.NOTIFY_OFF_MULTIPLIER);
        addVirtioCap(config, VirtioPciLayout.CFG_TYPE_ISR, VirtioPciLayout.ISR_CFG_OFFSET,
            VirtioPciLayout.ISR_CFG_SIZE, -1);
        if (configSize > 0) {
            addVirtioCap(config, VirtioPciLayout.CFG_TYPE_DEVICE, VirtioPciLayout.DEVICE_CFG_OFFSET, configSize, -1);
        }
        int pciCfgCap = addVirtioCap(config, VirtioPciLayout.CFG_TYPE_PCI, 0, 0, 0);
        config.setWriteMask(pciCfgCap + VirtioPciLayout.CAP_BAR, 1, 0xff);
        config.setWriteMask(pciCfgCap + VirtioPciLayout.CAP_OFFSET, 4, -1);
        config.setWriteMask(pciCfgCap + VirtioPciLayout.CAP_LENGTH, 4, -1);
        return new VirtioPciCapabilities(config, msix, pciCfgCap);
    }

    private static PciConfigSpace transitionalConfig(int type) {
        int id = VirtioPciLayout.legacyDeviceId(type);
        if (id < 0) {
            throw new IllegalArgumentException("virtio device type " + type + " has no transitional PCI device id");
        }
        return new PciConfigSpace(VirtioPciLayout.VENDOR_ID, id, VirtioPciLayout.classCode(type));
    }

    static long legacyBarSize(int configSize) {
        int bytes = VirtioPciLayout.LEGACY_CONFIG_MSIX + configSize;
        if (bytes > PciBar.MAX_IO_SIZE) {
            throw new IllegalArgumentException("legacy register block of " + bytes + " bytes exceeds an I/O BAR ("
                + PciBar.MAX_IO_SIZE + ")");
        }
        return Long.highestOneBit(bytes - 1) << 1;
    }

    /** struct virtio_pci_cap (+ notify_off_multiplier, or + pci_cfg_data for PCI_CFG). */
    private static int addVirtioCap(PciConfigSpace config, int cfgType, int offset, int length, int multiplier) {
        boolean extra = cfgType == VirtioPciLayout.CFG_TYPE_NOTIFY || cfgType == VirtioPciLayout.CFG_TYPE_PCI;
        int capLen = extra ? VirtioPciLayout.NOTIFY_CAP_LEN : VirtioPciLayout.CAP_LEN;
        byte[] body = new byte[capLen - 2];
        body[0] = (byte) capLen;
        body[1] = (byte) cfgType;
        body[2] = (byte) (cfgType == VirtioPciLayout.CFG_TYPE_PCI ? 0 : MODERN_BAR);
        putLe(body, VirtioPciLayout.CAP_OFFSET - 2, offset);
        putLe(body, VirtioPciLayout.CAP_LENGTH - 2, length);
        if (cfgType == VirtioPciLayout.CFG_TYPE_NOTIFY) {
            putLe(body, VirtioPciLayout.PCI_CFG_DATA - 2, multiplier);
        }
        return config.addCapability(VirtioPciLayout.CAP_ID_VENDOR, body);
    }

    private static void putLe(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }
}
