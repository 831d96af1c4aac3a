package io.vireo.vmm.pci;

import io.vireo.dataplane.pci.PciConfigSpace;
import io.vireo.dataplane.pci.PciFunction;

/**
 * The host bridge at 00:00.0: class 0x060000 (bridge, host), no BARs, no capabilities.
 *
 * <p>Its id is 8086:29c0, Intel's 82G33/P35 DRAM controller, the same as QEMU's q35 host bridge. Linux
 * binds nothing to it that matters here (intel-agp looks for an integrated GPU on that chipset, finds none,
 * and leaves), and the test guest, which also runs under QEMU q35, sees the same host bridge on both VMMs.
 * Chipset-specific MMCONFIG probing in Linux (arch/x86/pci/mmconfig-shared.c) does not know this id, so
 * the guest takes the ECAM window from the MCFG table, which is what we want.
 */
public final class PciHostBridge implements PciFunction {
    public static final int VENDOR_ID = 0x8086;
    public static final int DEVICE_ID = 0x29c0;
    public static final int CLASS_CODE = 0x060000;

    private final PciConfigSpace config = new PciConfigSpace(VENDOR_ID, DEVICE_ID, CLASS_CODE, true);

    @Override
    public PciConfigSpace config() {
        return config;
    }

    @Override
    public long readBar(int bar, long offset, int size) {
        return 0;
    }

    @Override
    public void writeBar(int bar, long offset, int size, long value) {
    }
}
