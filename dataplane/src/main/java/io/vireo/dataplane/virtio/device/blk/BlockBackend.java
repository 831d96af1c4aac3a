package io.vireo.dataplane.virtio.device.blk;

import java.lang.foreign.MemorySegment;

/**
 * Where a block device's sectors live. Positional I/O straight between the backing store and guest RAM (the segments
 * are slices of guest memory; no bounce buffer).
 *
 * <p>Contract: the I/O methods never throw on I/O failure; they return 0 or a negative errno-like code, so the device
 * can turn a failure into VIRTIO_BLK_S_IOERR without allocating. A method either moves every byte asked for or fails.
 * Offsets and lengths have been checked against {@link #sizeBytes()} by the caller. Called by one worker thread.
 */
public interface BlockBackend extends AutoCloseable {

    /** Addressable bytes, a multiple of 512 (the device's capacity in sectors times 512). */
    long sizeBytes();

    /** Whether writes are refused (the device then offers VIRTIO_BLK_F_RO). */
    boolean readOnly();

    /** Fills all of {@code dst} from byte {@code offset}; 0 or {@code -errno}. */
    int read(long offset, MemorySegment dst);

    /** Writes all of {@code src} at byte {@code offset}; 0 or {@code -errno}. */
    int write(long offset, MemorySegment src);

    /** Makes every completed write durable; 0 or {@code -errno}. */
    int flush();

    @Override
    void close();
}
