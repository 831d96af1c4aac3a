package io.vireo.dataplane.virtio.transport.pci;

/**
 * Sends the MSI-X message of one vector now; the VMM implements it as one {@code write()} to the vector's irqfd
 * (KVM routes it by the address/data it learnt from the function's {@code MsixVectorListener}). The transport has
 * already checked that MSI-X is enabled and the vector unmasked; masked vectors go to the PBA instead.
 *
 * <p>Called on queue worker threads ({@code signalUsed}), vCPU threads (an unmask delivering a pending message) and
 * the control thread, with the function's {@code MsixTable} lock held: keep it to the write.
 */
@FunctionalInterface
public interface MsixInterruptSink {
    void raise(int vector);
}
