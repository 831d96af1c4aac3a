package io.vireo.dataplane.virtio.device.blk.backend;

/**
 * Where a block device's sectors live: a disk image file (io_uring or positional I/O), nothing at all (null), or a
 * wrapper around another back end (fault injection). Shared by the device's queues; each queue does its I/O through
 * its own {@link BlockQueue}, owned by the one worker thread that serves that queue.
 *
 * <p>Offsets and lengths reaching a back end have been checked by the device against {@link #sizeBytes()}.
 */
public interface BlockBackend extends AutoCloseable {

    /** Addressable bytes, a multiple of 512 (the device's capacity in sectors times 512). */
    long sizeBytes();

    /** Whether writes are refused (the device then offers VIRTIO_BLK_F_RO). */
    boolean readOnly();

    /** Whether DISCARD frees space (punch hole); when false the device does not offer VIRTIO_BLK_F_DISCARD. */
    boolean supportsDiscard();

    /** One line for logs and statistics, e.g. {@code "io_uring, O_DIRECT, fixed buffers"}. */
    String describe();

    /**
     * Opens the I/O context of one virtqueue, with room for {@code depth} requests in flight (tags
     * {@code 0..depth-1}). Control path; the returned queue is then used by one worker thread only.
     */
    BlockQueue openQueue(int depth);

    /** Closes the image; every queue has been closed before. Control path. */
    @Override
    void close();
}
