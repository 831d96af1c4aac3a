package io.vireo.dataplane.virtio.device.blk;

import java.lang.foreign.MemorySegment;

/** A disk of zeros that forgets writes and completes at once: a baseline for benchmarks and tests. */
public final class NullBackend implements BlockBackend {
    private final long sizeBytes;
    private final boolean readOnly;

    /** @param sizeBytes rounded down to a whole number of 512-byte sectors */
    public NullBackend(long sizeBytes, boolean readOnly) {
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("negative size: sizeBytes=" + sizeBytes);
        }
        this.sizeBytes = sizeBytes & ~(BlkRequest.SECTOR_SIZE - 1L);
        this.readOnly = readOnly;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public int read(long offset, MemorySegment dst) {
        dst.fill((byte) 0);
        return 0;
    }

    @Override
    public int write(long offset, MemorySegment src) {
        return 0;
    }

    @Override
    public int flush() {
        return 0;
    }

    @Override
    public void close() {
    }
}
