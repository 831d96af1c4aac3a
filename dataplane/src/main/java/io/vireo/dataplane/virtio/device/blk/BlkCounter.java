package io.vireo.dataplane.virtio.device.blk;

/**
 * The counters of one virtio-blk request queue ({@link BlkQueue}), each an ordered counter in the machine's counters
 * file; the lower-case constant name is the name everywhere (the counters file label, --stats, the JSON).
 */
public enum BlkCounter {
    /** Chains popped, good or bad. */
    REQUESTS,
    READS,
    WRITES,
    FLUSHES,
    DISCARDS,
    WRITE_ZEROES,
    GET_IDS,
    BYTES_READ,
    BYTES_WRITTEN,
    /** Completed with VIRTIO_BLK_S_IOERR. */
    IO_ERRORS,
    /** Completed with VIRTIO_BLK_S_UNSUPP. */
    UNSUPPORTED,
    /** Refused by the queue before parsing (loops, out of RAM, ...), used length 0. */
    MALFORMED_CHAINS,
    /** Times the queue asked for DEVICE_NEEDS_RESET. */
    NEEDS_RESET,
    /** Used-ring publications (one release store of used idx each). */
    BATCHES,
    /** Back-end submissions (one io_uring_enter each with io_uring). */
    SUBMITS,
    INTERRUPTS,
    INTERRUPTS_SUPPRESSED
}
