package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.stats.Counter;

/** The counters of one virtio-blk queue ({@link BlkQueue}); a device's are their sums. Names as in the reports. */
public enum BlkCounter implements Counter {
    /** Chains completed, good or bad. */
    REQUESTS(true),
    READS,
    WRITES,
    FLUSHES,
    DISCARDS,
    WRITE_ZEROES,
    GET_IDS,
    BYTES_READ,
    BYTES_WRITTEN,
    /** Requests completed with VIRTIO_BLK_S_IOERR. */
    IO_ERRORS,
    /** Requests completed with VIRTIO_BLK_S_UNSUPP. */
    UNSUPPORTED,
    /** Chains the queue refused (loops, out of RAM, ...), completed with used length 0. */
    MALFORMED_CHAINS,
    /** Times the queue asked for DEVICE_NEEDS_RESET. */
    NEEDS_RESET,
    /** Polls that completed at least one request (one used-idx publish each). */
    BATCHES(true),
    /** Batches handed to the back end. */
    SUBMITS,
    /** Used-buffer interrupts raised. */
    INTERRUPTS(true),
    /** Batches whose interrupt the driver suppressed (used_event / NO_INTERRUPT). */
    INTERRUPTS_SUPPRESSED(true);

    private final boolean summary;

    BlkCounter() {
        this(false);
    }

    BlkCounter(boolean summary) {
        this.summary = summary;
    }

    @Override
    public boolean inSummary() {
        return summary;
    }
}
