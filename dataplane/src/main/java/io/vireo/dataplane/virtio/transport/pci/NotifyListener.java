package io.vireo.dataplane.virtio.transport.pci;

/**
 * Told that the driver notified (kicked) queue {@code queue} by a write the VMM did not catch with an ioeventfd:
 * the modern notify region or the legacy QUEUE_NOTIFY register. The VMM sets one that wakes the queue's worker; the
 * default calls {@code VirtioDevice.processQueue} on the writing (vCPU) thread. Only called while the device is
 * active (after DRIVER_OK) and for {@code queue < queueCount()}.
 */
@FunctionalInterface
public interface NotifyListener {
    void notified(int queue);
}
