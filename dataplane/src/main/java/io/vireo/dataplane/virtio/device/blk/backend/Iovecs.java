package io.vireo.dataplane.virtio.device.blk.backend;

import io.vireo.sys.IoVecLayout;

import java.lang.foreign.MemorySegment;

/** Reads of caller-owned {@code struct iovec} arrays: checks on the hot path, the rare byte-level work on the side. */
final class Iovecs {

    private Iovecs() {
    }

    /** Whether every base and length is a multiple of {@code mask + 1} (a power of two), as O_DIRECT requires. */
    static boolean aligned(MemorySegment iovecs, int iovcnt, long mask) {
        long bits = 0;
        for (int i = 0; i < iovcnt; i++) {
            bits |= IoVecLayout.base(iovecs, i) | IoVecLayout.length(iovecs, i);
        }
        return (bits & mask) == 0;
    }

    /**
     * Index of the iovec holding byte {@code position} of the transfer, or {@code iovcnt} past the end; the byte's
     * offset inside that iovec is {@code position - startOf(index)}.
     */
    static int indexOf(MemorySegment iovecs, int iovcnt, long position) {
        long start = 0;
        for (int i = 0; i < iovcnt; i++) {
            long len = IoVecLayout.length(iovecs, i);
            if (position < start + len) {
                return i;
            }
            start += len;
        }
        return iovcnt;
    }

    /** Bytes of the transfer before iovec {@code index}. */
    static long startOf(MemorySegment iovecs, int index) {
        long start = 0;
        for (int i = 0; i < index; i++) {
            start += IoVecLayout.length(iovecs, i);
        }
        return start;
    }

    /** Zeroes the buffers from byte {@code position} of the transfer to its end (a read that met end of file). */
    @SuppressWarnings("restricted")
    static void zeroFrom(MemorySegment iovecs, int iovcnt, long position) {
        long start = 0;
        for (int i = 0; i < iovcnt; i++) {
            long len = IoVecLayout.length(iovecs, i);
            long skip = Math.max(0, position - start);
            if (skip < len) {
                // SAFETY: the caller vouches that each iovec describes mapped memory it owns until completion.
                MemorySegment.ofAddress(IoVecLayout.base(iovecs, i) + skip).reinterpret(len - skip).fill((byte) 0);
            }
            start += len;
        }
    }

    /** One iovec as a segment (slow paths only: this allocates). */
    @SuppressWarnings("restricted")
    static MemorySegment segment(MemorySegment iovecs, int index, long skip) {
        // SAFETY: as in zeroFrom.
        return MemorySegment.ofAddress(IoVecLayout.base(iovecs, index) + skip)
            .reinterpret(IoVecLayout.length(iovecs, index) - skip);
    }
}
