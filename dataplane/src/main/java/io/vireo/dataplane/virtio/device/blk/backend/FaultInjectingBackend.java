package io.vireo.dataplane.virtio.device.blk.backend;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.vireo.sys.Errno;
import io.vireo.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps a back end and fails every read, write, discard and write-zeroes that touches a chosen sector with
 * {@code -EIO}, delivered through {@link BlockQueue#reap} like any completion, without reaching the inner back end.
 * Flushes and untouched requests pass through. For testing the device's and the guest's error paths.
 */
public final class FaultInjectingBackend implements BlockBackend {
    private final BlockBackend inner;
    private final SectorSet failing;
    private final AtomicLong injected = new AtomicLong();

    public FaultInjectingBackend(BlockBackend inner, SectorSet failing) {
        this.inner = inner;
        this.failing = failing;
    }

    /** @param failingSectors as {@link SectorSet#parse}, e.g. {@code "2048,10000-10007"} */
    public static FaultInjectingBackend of(BlockBackend inner, String failingSectors) {
        return new FaultInjectingBackend(inner, SectorSet.parse(failingSectors));
    }

    public SectorSet failingSectors() {
        return failing;
    }

    /** Requests failed so far, over every queue. */
    public long injectedFailures() {
        return injected.get();
    }

    @Override
    public long sizeBytes() {
        return inner.sizeBytes();
    }

    @Override
    public boolean readOnly() {
        return inner.readOnly();
    }

    @Override
    public boolean supportsDiscard() {
        return inner.supportsDiscard();
    }

    @Override
    public String describe() {
        return inner.describe() + ", failing sectors " + failing;
    }

    @Override
    public BlockQueue openQueue(int depth) {
        return new Queue(inner.openQueue(depth), depth);
    }

    @Override
    public void close() {
        inner.close();
    }

    private final class Queue implements BlockQueue {
        private final BlockQueue q;
        private final int depth;
        private final CompletionRing failed;
        private final boolean[] busy;
        private final Arena arena = Arena.ofShared();
        /** 8 bytes holding 1, written to the inner eventfd so a sleeping worker sees injected completions. */
        private final MemorySegment one = arena.allocate(JAVA_LONG);
        private int failedSinceSubmit;

        Queue(BlockQueue q, int depth) {
            this.q = q;
            this.depth = depth;
            this.failed = new CompletionRing(depth);
            this.busy = new boolean[depth];
            one.set(JAVA_LONG, 0, 1L);
        }

        private int fail(int tag) {
            if (inFlight() >= depth) {
                return -Errno.EAGAIN;
            }
            if (tag < 0 || tag >= depth) {
                return -Errno.EINVAL;
            }
            if (busy[tag]) {
                return -Errno.EBUSY;
            }
            busy[tag] = true;
            failed.add(tag, -Errno.EIO);
            failedSinceSubmit++;
            injected.incrementAndGet();
            return 0;
        }

        @Override
        public int prepareRead(int tag, long offset, MemorySegment iovecs, int iovcnt, long bytes) {
            if (failing.overlapsBytes(offset, bytes)) {
                return fail(tag);
            }
            return inFlight() >= depth ? -Errno.EAGAIN : q.prepareRead(tag, offset, iovecs, iovcnt, bytes);
        }

        @Override
        public int prepareWrite(int tag, long offset, MemorySegment iovecs, int iovcnt, long bytes) {
            if (failing.overlapsBytes(offset, bytes)) {
                return fail(tag);
            }
            return inFlight() >= depth ? -Errno.EAGAIN : q.prepareWrite(tag, offset, iovecs, iovcnt, bytes);
        }

        @Override
        public int prepareFlush(int tag) {
            return inFlight() >= depth ? -Errno.EAGAIN : q.prepareFlush(tag);
        }

        @Override
        public int prepareDiscard(int tag, long offset, long length) {
            if (failing.overlapsBytes(offset, length)) {
                return fail(tag);
            }
            return inFlight() >= depth ? -Errno.EAGAIN : q.prepareDiscard(tag, offset, length);
        }

        @Override
        public int prepareWriteZeroes(int tag, long offset, long length, boolean unmap) {
            if (failing.overlapsBytes(offset, length)) {
                return fail(tag);
            }
            return inFlight() >= depth ? -Errno.EAGAIN : q.prepareWriteZeroes(tag, offset, length, unmap);
        }

        @Override
        public int submit() {
            int rc = q.submit();
            int n = failedSinceSubmit;
            failedSinceSubmit = 0;
            int efd = q.completionEventFd();
            if (n > 0 && efd >= 0) {
                // A worker may sleep on the inner eventfd until something completes: tell it these have.
                Libc.writeRaw(efd, one, 8);
            }
            return rc < 0 ? rc : rc + n;
        }

        @Override
        public int reap(CompletionSink sink) {
            return failed.drain(sink, busy) + q.reap(sink);
        }

        @Override
        public int inFlight() {
            return q.inFlight() + failed.size();
        }

        @Override
        public int completionEventFd() {
            return q.completionEventFd();
        }

        @Override
        public void quietCompletions() {
            q.quietCompletions();
        }

        @Override
        public boolean armCompletions() {
            return q.armCompletions() || failed.size() > 0;
        }

        @Override
        public int unsubmitted() {
            return q.unsubmitted();
        }

        @Override
        public void close() {
            try {
                q.close();
            } finally {
                arena.close();
            }
        }
    }
}
