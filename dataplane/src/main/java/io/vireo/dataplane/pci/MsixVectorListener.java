package io.vireo.dataplane.pci;

/**
 * What the VMM needs to hear from an MSI-X function to keep its interrupt routing (e.g. KVM GSI routes and
 * irqfds) in step with the guest. Called with the table's lock held, on the vCPU thread that wrote the table
 * or capability, or on the thread that raised a pending interrupt; keep it short and do not call back into
 * the {@link MsixTable}'s writers.
 */
public interface MsixVectorListener {
    /** A vector's address, data or mask bit changed (the guest should mask a vector before reprogramming it). */
    void vectorChanged(int vector, long address, int data, boolean masked);

    /** The capability's MSI-X Enable or Function Mask changed. */
    void functionChanged(boolean enabled, boolean functionMasked);

    /**
     * Send the message of {@code vector} now: it was pending and has become deliverable; its pending bit is
     * already clear (PCI 3.0 6.8.3.3).
     */
    void deliverPending(int vector);
}
