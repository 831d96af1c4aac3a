package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.virtio.device.blk.backend.BlockBackend;
import io.vireo.dataplane.virtio.device.blk.backend.BlockQueue;
import io.vireo.dataplane.virtio.device.blk.backend.CompletionSink;
import io.vireo.sys.Errno;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Test back ends: synchronous, each I/O done at prepare time against one contiguous segment per iovec entry, the
 * result handed out by the next reap. Subclasses say where the bytes go.
 */
abstract class SyncTestBackend implements BlockBackend {

    abstract int read(long offset, MemorySegment dst);

    abstract int write(long offset, MemorySegment src);

    abstract int flush();

    /** Zeroes the range (discard and write zeroes alike). */
    int zero(long offset, long length) {
        MemorySegment zeros = MemorySegment.ofArray(new byte[(int) length]);
        return write(offset, zeros);
    }

    @Override
    public boolean supportsDiscard() {
        return true;
    }

    @Override
    public String describe() {
        return getClass().getSimpleName();
    }

    @Override
    public BlockQueue openQueue(int depth) {
        return new Queue(depth);
    }

    @Override
    public void close() {
    }

    private final class Queue implements BlockQueue {
        private final int[] tags;
        private final int[] results;
        private int count;
        private final int depth;

        Queue(int depth) {
            this.depth = depth;
            this.tags = new int[depth];
            this.results = new int[depth];
        }

        private int done(int tag, int result) {
            if (count == depth) {
                return -Errno.EAGAIN;
            }
            tags[count] = tag;
            results[count++] = result;
            return 0;
        }

        private int each(long offset, MemorySegment iovecs, int iovcnt, boolean toDisk) {
            long pos = offset;
            for (int k = 0; k < iovcnt; k++) {
                long addr = iovecs.get(ValueLayout.JAVA_LONG, k * 16L);
                long len = iovecs.get(ValueLayout.JAVA_LONG, k * 16L + 8);
                MemorySegment buf = MemorySegment.ofAddress(addr).reinterpret(len);
                int rc = toDisk ? write(pos, buf) : read(pos, buf);
                if (rc < 0) {
                    return rc;
                }
                pos += len;
            }
            return 0;
        }

        @Override
        public int prepareRead(int tag, long offset, MemorySegment iovecs, int iovcnt, long bytes) {
            return done(tag, each(offset, iovecs, iovcnt, false));
        }

        @Override
        public int prepareWrite(int tag, long offset, MemorySegment iovecs, int iovcnt, long bytes) {
            return done(tag, each(offset, iovecs, iovcnt, true));
        }

        @Override
        public int prepareFlush(int tag) {
            return done(tag, flush());
        }

        @Override
        public int prepareDiscard(int tag, long offset, long length) {
            return done(tag, zero(offset, length));
        }

        @Override
        public int prepareWriteZeroes(int tag, long offset, long length, boolean unmap) {
            return done(tag, zero(offset, length));
        }

        @Override
        public int submit() {
            return 0;
        }

        @Override
        public int reap(CompletionSink sink) {
            int n = count;
            count = 0;
            for (int i = 0; i < n; i++) {
                sink.complete(tags[i], results[i]);
            }
            return n;
        }

        @Override
        public int inFlight() {
            return count;
        }

        @Override
        public int completionEventFd() {
            return -1;
        }

        @Override
        public void close() {
            count = 0;
        }
    }
}
