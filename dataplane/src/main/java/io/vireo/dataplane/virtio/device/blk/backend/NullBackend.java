package io.vireo.dataplane.virtio.device.blk.backend;

import java.lang.foreign.MemorySegment;

/**
 * A disk of a given size that stores nothing: every request completes at once with 0, reads leave the buffers as
 * they were. For benchmarks of everything above the back end.
 */
public final class NullBackend implements BlockBackend {
    private final long sizeBytes;
    private final boolean readOnly;

    /** @param sizeBytes the capacity, a multiple of 512 */
    public NullBackend(long sizeBytes) {
        this(sizeBytes, false);
    }

    /**
     * @param sizeBytes the capacity, a multiple of 512
     * @param readOnly  report a read-only disk (the device then offers VIRTIO_BLK_F_RO and refuses writes itself)
     */
    public NullBackend(long sizeBytes, boolean readOnly) {
        if (sizeBytes < 0 || (sizeBytes & 511) != 0) {
            throw new IllegalArgumentException("size must be a non-negative multiple of 512, not " + sizeBytes);
        }
        this.sizeBytes = sizeBytes;
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
    public boolean supportsDiscard() {
        return !readOnly;
    }

    @Override
    public String describe() {
        return "null";
    }

    @Override
    public BlockQueue openQueue(int depth) {
        return new Queue(depth);
    }

    @Override
    public void close() {
    }

    private static final class Queue extends ImmediateQueue {
        Queue(int depth) {
            super(depth);
        }

        private int complete(int tag) {
            int rc = admit(tag);
            return rc != 0 ? rc : finished(tag, 0);
        }

        @Override
        public int prepareRead(int tag, long offset, MemorySegment iovecs, int iovcnt, long bytes) {
            return complete(tag);
        }

        @Override
        public int prepareWrite(int tag, long offset, MemorySegment iovecs, int iovcnt, long bytes) {
            return complete(tag);
        }

        @Override
        public int prepareFlush(int tag) {
            return complete(tag);
        }

        @Override
        public int prepareDiscard(int tag, long offset, long length) {
            return complete(tag);
        }

        @Override
        public int prepareWriteZeroes(int tag, long offset, long length, boolean unmap) {
            return complete(tag);
        }

        @Override
        public void close() {
        }
    }
}
