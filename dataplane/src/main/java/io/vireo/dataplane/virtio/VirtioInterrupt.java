package io.vireo.dataplane.virtio;

/** How a device signals the driver; implemented by the transport (virtio 1.2 §2.3, §4.1.4.5, §4.1.5.1.2). */
public interface VirtioInterrupt {
    /** Used buffers for this queue: interrupt if the transport's vector allows. */
    void signalUsed(int queue);

    /** The device-specific configuration changed. */
    void signalConfigChange();

    /** The device found a corrupt queue: set DEVICE_NEEDS_RESET (status bit 64) and raise a config interrupt. */
    void needsReset(String why);
}
