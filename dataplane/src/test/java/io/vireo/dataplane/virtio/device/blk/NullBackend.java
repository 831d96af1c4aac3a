package io.vireo.dataplane.virtio.device.blk;

import java.lang.foreign.MemorySegment;

/** Test: a disk of {@code size} bytes that keeps nothing (reads leave the buffers as they are). */
final class NullBackend extends SyncTestBackend {
    private final long size;
    private final boolean readOnly;

    NullBackend(long size, boolean readOnly) {
        this.size = size;
        this.readOnly = readOnly;
    }

    @Override
    public long sizeBytes() {
        return size;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    int read(long offset, MemorySegment dst) {
        return 0;
    }

    @Override
    int write(long offset, MemorySegment src) {
        return 0;
    }

    @Override
    int flush() {
        return 0;
    }

    @Override
    int zero(long offset, long length) {
        return 0;
    }
}
