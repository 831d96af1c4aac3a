package io.vireo.vmm.pci;

import io.vireo.dataplane.pci.PciFunction;

/**
 * Told when a BAR starts or stops being decoded at an address (the effective mapping, after the command
 * register's decode bits), e.g. to move ioeventfds with a virtio notify region. Called with the function's
 * config-space lock held, on the vCPU thread whose config write caused it.
 */
public interface BarMappingListener {
    void mapped(PciAddress address, PciFunction function, int bar, long base, long sizeBytes, boolean io);

    void unmapped(PciAddress address, PciFunction function, int bar, long base, long sizeBytes, boolean io);
}
