package io.vireo.dataplane.virtio.device.net;

import io.vireo.dataplane.stats.Counter;

/**
 * The counters of one virtio-net queue pair ({@link NetQueuePair}) or of the control queue; a device's are their sums.
 * Kicks are counted by the queue agents ({@code agents.kicks}).
 */
public enum NetCounter implements Counter {
    RX_FRAMES(true),
    RX_BYTES(true),
    TX_FRAMES(true),
    TX_BYTES(true),
    /** Frames with segmentation offload (gso_type not NONE): larger than the MTU, cut by the host or the guest. */
    TX_GSO_FRAMES(true),
    RX_GSO_FRAMES(true),
    /** Transmit chains the queue refused (loops, outside RAM, ...): completed with used length 0. */
    TX_DROPS_MALFORMED_CHAIN,
    /** Transmit frames with a header shorter than 12 bytes, a runt frame, or offload fields not negotiated. */
    TX_DROPS_BAD_HEADER,
    /** Transmit frames larger than the MTU (or 64 KiB with segmentation offload). */
    TX_DROPS_TOO_BIG,
    /** Transmit frames the back end refused (tap write error). */
    TX_DROPS_BACKEND,
    /** Receive chains with a device-readable descriptor, too many buffers, smaller than the header, or malformed. */
    RX_MALFORMED_CHAINS,
    /** Received frames the driver's filter (promiscuous off, MAC table) does not want. */
    RX_DROPS_FILTERED,
    /** Received frames larger than the buffers the driver posted. */
    RX_DROPS_NO_ROOM,
    /** Receive errors of the back end (a frame lost in the tap). */
    RX_DROPS_BACKEND,
    /**
     * Polls that found too few receive buffers for the next frame (a tap cannot tell whether one waits: for the
     * largest it may hand over); the frames wait in the back end.
     */
    RX_STALLS,
    /** Polls that found the back end unable to take a frame: transmit chains wait in the ring. */
    TX_STALLS,
    /** Control queue commands, and those answered VIRTIO_NET_ERR. */
    CTRL_COMMANDS,
    CTRL_ERRORS,
    /** Used-ring publishes (one release store each), both queues. */
    BATCHES(true),
    /** Used-buffer interrupts raised, both queues. */
    INTERRUPTS(true),
    /** Batches whose interrupt the driver suppressed (used_event / NO_INTERRUPT). */
    INTERRUPTS_SUPPRESSED,
    /** Times a queue asked for DEVICE_NEEDS_RESET. */
    NEEDS_RESET;

    private final boolean summary;

    NetCounter() {
        this(false);
    }

    NetCounter(boolean summary) {
        this.summary = summary;
    }

    @Override
    public boolean inSummary() {
        return summary;
    }
}
