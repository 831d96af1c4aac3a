package io.vireo.dataplane.virtio.device.blk.backend;

import io.vireo.sys.Errno;
import io.vireo.sys.IoUringAbi;
import io.vireo.sys.IoVecLayout;

import java.lang.foreign.MemorySegment;

/** The rare turns of an {@link IoUringQueue} request: short transfers, end of file, continuations. */
final class IoUringSlowPath {
    private static final int CONTINUED = 1;

    private IoUringSlowPath() {
    }

    /**
     * A read or write moved {@code res} bytes and fewer than asked in all ({@code q.done(tag)} so far).
     *
     * @return 0 (a read at end of file: the rest reads as zeros, like a hole), -EIO (a write that moved nothing),
     *     or CONTINUED when the rest was queued
     */
    static int shortTransfer(IoUringQueue q, int tag, int res) {
        if (res == 0) {
            if (q.isRead(tag)) {
                // The image shrank below the device's capacity after open: the missing part reads as a hole.
                Iovecs.zeroFrom(q.iovecs(tag), q.iovcnt(tag), q.done(tag));
                return 0;
            }
            return -Errno.EIO;
        }
        return issueContinuation(q, tag) ? CONTINUED : -Errno.EIO;
    }

    /**
     * Queues the rest of a transfer from byte {@code q.done(tag)}, always on the buffered file (the rest need not
     * be aligned): the tail of a partly done iovec as a plain READ/WRITE, or the remaining whole iovecs as
     * READV/WRITEV pointing into the caller's array.
     */
    static boolean issueContinuation(IoUringQueue q, int tag) {
        MemorySegment iov = q.iovecs(tag);
        int cnt = q.iovcnt(tag);
        long pos = q.done(tag);
        int i = Iovecs.indexOf(iov, cnt, pos);
        if (i >= cnt) {
            return false;
        }
        long skip = pos - Iovecs.startOf(iov, i);
        boolean read = q.isRead(tag);
        long off = q.offset(tag) + pos;
        if (skip == 0) {
            return q.ring().prepare(read ? IoUringAbi.IORING_OP_READV : IoUringAbi.IORING_OP_WRITEV,
                IoUringAbi.IOSQE_FIXED_FILE, IoUringQueue.FILE_BUFFERED, off, iov.address() + i * IoVecLayout.SIZE,
                cnt - i, 0, tag, 0);
        }
        return q.ring().prepare(read ? IoUringAbi.IORING_OP_READ : IoUringAbi.IORING_OP_WRITE,
            IoUringAbi.IOSQE_FIXED_FILE, IoUringQueue.FILE_BUFFERED, off, IoVecLayout.base(iov, i) + skip,
            (int) (IoVecLayout.length(iov, i) - skip), 0, tag, 0);
    }
}
