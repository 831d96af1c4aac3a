package io.vireo.dataplane.virtio;

import io.vireo.dataplane.virtio.queue.SplitQueue;

/**
 * A virtio device as the transport sees it (virtio 1.2 §2, §5): its identity, offered features, queues and
 * device-specific configuration. Transport-independent: virtio-pci ({@code transport.pci}) drives it.
 *
 * <p>Threading: {@link #readConfig}, {@link #writeConfig}, {@link #activate} and {@link #reset} are called by the
 * transport on the vCPU / control thread; {@link #processQueue} is always called by the same (queue worker) thread.
 */
public interface VirtioDevice {
    /** Virtio device id (§5): 2 = block, 1 = net. */
    int deviceType();

    /** Offered feature bits including {@link VirtioFeatures#VERSION_1} (bit 32) etc. */
    long deviceFeatures();

    int queueCount();

    /** Largest queue size the device supports for {@code queue}; a power of two in [1, 32768]. */
    int queueMaxSize(int queue);

    /** Bytes of device-specific configuration. */
    int configSize();

    /** Little-endian read; {@code offset + size <= configSize()} is guaranteed by the transport. */
    int readConfig(int offset, int size);

    /** Little-endian write; {@code offset + size <= configSize()} is guaranteed by the transport. */
    void writeConfig(int offset, int size, int value);

    /** DRIVER_OK with the negotiated features; queues are enabled and validated (split rings). */
    void activate(long features, SplitQueue[] queues, VirtioInterrupt interrupt);

    /** The driver notified queue q (from a notify write or the VMM's ioeventfd worker). Same thread always. */
    void processQueue(int queue);

    /** Device reset: drop in-flight work, forget queues; called on status 0 and on function reset. */
    void reset();
}
