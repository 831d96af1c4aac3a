package io.vireo.dataplane.virtio.device.blk;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** Test: a disk in a byte array, synchronous. */
class HeapBackend extends SyncTestBackend {
    final byte[] disk;

    HeapBackend(byte[] disk) {
        this.disk = disk;
    }

    @Override
    public long sizeBytes() {
        return disk.length;
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    @Override
    int read(long offset, MemorySegment dst) {
        MemorySegment.copy(MemorySegment.ofArray(disk), offset, dst, 0, dst.byteSize());
        return 0;
    }

    @Override
    int write(long offset, MemorySegment src) {
        MemorySegment.copy(src, 0, MemorySegment.ofArray(disk), offset, src.byteSize());
        return 0;
    }

    @Override
    int flush() {
        return 0;
    }

    @Override
    int zero(long offset, long length) {
        Arrays.fill(disk, (int) offset, (int) (offset + length), (byte) 0);
        return 0;
    }
}
