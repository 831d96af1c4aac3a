package io.vireo.dataplane.virtio.device.blk.backend;

import io.vireo.dataplane.uring.IoUring;
import io.vireo.sys.Errno;
import io.vireo.sys.IoUringAbi;
import io.vireo.sys.IoVecLayout;
import io.vireo.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The {@link BlockQueue} of an {@link IoUringBackend}: one ring, {@code user_data} = tag, per-tag state in plain
 * arrays. The image is registered as two fixed files: index {@link #FILE_DIRECT} (the O_DIRECT descriptor, or the
 * buffered one when there is none) and {@link #FILE_BUFFERED}. A request goes to the O_DIRECT file only when its
 * offset, length and every iovec base and length are multiples of the direct alignment; otherwise, and for every
 * continuation of a short transfer, it goes to the buffered file. The kernel keeps the two coherent for requests
 * that do not overlap in time (direct writes invalidate the page cache, direct reads flush it first); overlapping
 * requests in flight have no defined order in virtio anyway.
 */
final class IoUringQueue implements BlockQueue {
    static final int FILE_DIRECT = 0;
    static final int FILE_BUFFERED = 1;

    private static final byte FREE = 0;
    private static final byte READ = 1;
    private static final byte WRITE = 2;
    private static final byte FLUSH = 3;
    private static final byte FALLOCATE = 4;
    /** EINTR/EAGAIN resubmissions per request before the error is reported. */
    private static final int MAX_RETRIES = 8;
    /** reap's "not finished, a continuation was queued" marker (results are 0 or negative). */
    private static final int CONTINUED = 1;
    private static final CompletionSink DROP = (tag, result) -> { };

    private final IoUring ring;
    private final int depth;
    private final boolean readOnly;
    /** Direct alignment - 1, or -1 when there is no O_DIRECT file. */
    private final long directMask;
    private final long[] fixedBase;
    private final long[] fixedEnd;
    private final int eventFd;

    private final byte[] op;
    private final long[] offset;
    private final MemorySegment[] iovecs;
    private final int[] iovcnt;
    /** Bytes to move (read/write), or the FALLOCATE length. */
    private final long[] length;
    private final long[] done;
    /** FALLOCATE mode. */
    private final int[] mode;
    private final int[] retries;
    private int inFlight;
    private boolean closed;
    /** First attempts by route, for statistics and tests (worker-written, plain longs). */
    private long directRequests;
    private long bufferedRequests;
    private long fixedBufferRequests;

    IoUringQueue(IoUringBackend backend, int depth) {
        if (depth < 1 || depth > 32768) {
            throw new IllegalArgumentException("queue depth must be 1..32768, not " + depth);
        }
        this.depth = depth;
        this.readOnly = backend.readOnly();
        this.directMask = backend.directAlignment() > 0 ? backend.directAlignment() - 1 : -1;
        IoUringOptions options = backend.options();
        int setupFlags = options.sqpoll() ? IoUringAbi.IORING_SETUP_SQPOLL : 0;
        // No SINGLE_ISSUER/DEFER_TASKRUN: the ring is made here on the control thread and driven by the worker, and
        // DEFER_TASKRUN would post completions only inside io_uring_enter, which a polling worker never calls.
        // The kernel rounds the SQ up to a power of two; the CQ is twice that, so it cannot overflow.
        this.ring = new IoUring(depth, setupFlags, options.sqpollIdleMs());
        int efd = -1;
        try {
            efd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            ring.registerEventFd(efd);
            int direct = backend.directFd() >= 0 ? backend.directFd() : backend.bufferedFd();
            ring.registerFiles(direct, backend.bufferedFd());
            long[][] fixed = backend.fixedBuffers();
            fixedBase = fixed[0];
            fixedEnd = fixed[1];
            if (fixedBase.length > 0) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment iov = arena.allocate(IoVecLayout.SIZE * fixedBase.length, 8);
                    for (int i = 0; i < fixedBase.length; i++) {
                        IoVecLayout.set(iov, i, fixedBase[i], fixedEnd[i] - fixedBase[i]);
                    }
                    ring.registerBuffers(iov, fixedBase.length);
                }
            }
        } catch (RuntimeException e) {
            ring.close();
            Libc.closeQuietly(efd);
            throw e;
        }
        this.eventFd = efd;
        op = new byte[depth];
        offset = new long[depth];
        iovecs = new MemorySegment[depth];
        iovcnt = new int[depth];
        length = new long[depth];
        done = new long[depth];
        mode = new int[depth];
        retries = new int[depth];
    }

    IoUring ring() {
        return ring;
    }

    /** Reads and writes first sent to the O_DIRECT file. */
    long directRequests() {
        return directRequests;
    }

    /** Reads and writes first sent to the buffered file (no O_DIRECT, or not aligned for it). */
    long bufferedRequests() {
        return bufferedRequests;
    }

    /** Reads and writes sent as READ_FIXED/WRITE_FIXED. */
    long fixedBufferRequests() {
        return fixedBufferRequests;
    }

    @Override
    public int prepareRead(int tag, long offset, MemorySegment iovecs, int iovcnt, long bytes) {
        return readWrite(READ, tag, offset, iovecs, iovcnt, bytes);
    }

    @Override
    public int prepareWrite(int tag, long offset, MemorySegment iovecs, int iovcnt, long bytes) {
        if (readOnly) {
            return -Errno.EROFS;
        }
        return readWrite(WRITE, tag, offset, iovecs, iovcnt, bytes);
    }

    @Override
    public int prepareFlush(int tag) {
        int rc = admit(tag, FLUSH);
        return rc != 0 ? rc : issueOrRelease(tag);
    }

    @Override
    public int prepareDiscard(int tag, long offset, long length) {
        return fallocate(tag, offset, length, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE);
    }

    @Override
    public int prepareWriteZeroes(int tag, long offset, long length, boolean unmap) {
        return fallocate(tag, offset, length, unmap ? Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE
            : Libc.FALLOC_FL_ZERO_RANGE | Libc.FALLOC_FL_KEEP_SIZE);
    }

    @Override
    public int submit() {
        return ring.submit();
    }

    @Override
    public int reap(CompletionSink sink) {
        int head = ring.cqHead();
        int tail = ring.cqTailAcquire();
        if (head == tail) {
            return 0;
        }
        int reaped = 0;
        boolean continued = false;
        while (head != tail) {
            int tag = (int) ring.cqeUserData(head);
            int res = ring.cqeRes(head);
            head++;
            int result = finish(tag, res);
            if (result == CONTINUED) {
                continued = true;
                continue;
            }
            op[tag] = FREE;
            iovecs[tag] = null;
            inFlight--;
            reaped++;
            sink.complete(tag, result);
        }
        ring.putCqHeadRelease(head);
        if (continued) {
            // Rare: a short transfer or a retry was queued; hand it over now rather than wait for a next batch.
            ring.submit();
        }
        return reaped;
    }

    @Override
    public int inFlight() {
        return inFlight;
    }

    @Override
    public int unsubmitted() {
        return ring.unconsumed();
    }

    @Override
    public int completionEventFd() {
        return eventFd;
    }

    @Override
    public void quietCompletions() {
        ring.quietCompletionSignals();
    }

    @Override
    public boolean armCompletions() {
        return ring.armCompletionSignals();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            int spins = 0;
            while (inFlight > 0) {
                ring.submit();
                if (reap(DROP) == 0) {
                    int rc = ring.waitCompletions(1);
                    if (rc < 0 && rc != -Errno.EINTR && ++spins > 1000) {
                        break;  // the ring is unusable; closing it below cancels what is left
                    }
                }
            }
        } finally {
            ring.close();
            Libc.closeQuietly(eventFd);
        }
    }

    // ---- preparation -------------------------------------------------------------------------------------------

    private int readWrite(byte kind, int tag, long off, MemorySegment iov, int cnt, long bytes) {
        int rc = admit(tag, kind);
        if (rc != 0) {
            return rc;
        }
        offset[tag] = off;
        iovecs[tag] = iov;
        iovcnt[tag] = cnt;
        length[tag] = bytes;
        done[tag] = 0;
        return issueOrRelease(tag);
    }

    private int fallocate(int tag, long off, long len, int fallocMode) {
        if (readOnly) {
            return -Errno.EROFS;
        }
        int rc = admit(tag, FALLOCATE);
        if (rc != 0) {
            return rc;
        }
        offset[tag] = off;
        length[tag] = len;
        mode[tag] = fallocMode;
        return issueOrRelease(tag);
    }

    private int admit(int tag, byte kind) {
        if (inFlight >= depth) {
            return -Errno.EAGAIN;
        }
        if (tag < 0 || tag >= depth) {
            return -Errno.EINVAL;
        }
        if (op[tag] != FREE) {
            return -Errno.EBUSY;
        }
        op[tag] = kind;
        retries[tag] = 0;
        inFlight++;
        return 0;
    }

    private int issueOrRelease(int tag) {
        if (issue(tag)) {
            return 0;
        }
        // Cannot happen while depth <= SQ entries (one SQE per tag at a time); refuse rather than lose the tag.
        op[tag] = FREE;
        iovecs[tag] = null;
        inFlight--;
        return -Errno.EAGAIN;
    }

    /** Queues the SQE for the current state of {@code tag}: the first attempt, a retry, or a continuation. */
    private boolean issue(int tag) {
        switch (op[tag]) {
            case READ, WRITE -> {
                return done[tag] == 0 ? issueFirst(tag) : IoUringSlowPath.issueContinuation(this, tag);
            }
            case FLUSH -> {
                return ring.prepare(IoUringAbi.IORING_OP_FSYNC, IoUringAbi.IOSQE_FIXED_FILE, FILE_BUFFERED, 0, 0, 0,
                    IoUringAbi.IORING_FSYNC_DATASYNC, tag, 0);
            }
            default -> {
                // FALLOCATE takes the length in addr and the mode in len.
                return ring.prepare(IoUringAbi.IORING_OP_FALLOCATE, IoUringAbi.IOSQE_FIXED_FILE, FILE_BUFFERED,
                    offset[tag], length[tag], mode[tag], 0, tag, 0);
            }
        }
    }

    private boolean issueFirst(int tag) {
        boolean read = op[tag] == READ;
        MemorySegment iov = iovecs[tag];
        int cnt = iovcnt[tag];
        long off = offset[tag];
        long bytes = length[tag];
        int file;
        if (directMask >= 0 && ((off | bytes) & directMask) == 0 && Iovecs.aligned(iov, cnt, directMask)) {
            file = FILE_DIRECT;
            directRequests++;
        } else {
            file = FILE_BUFFERED;
            bufferedRequests++;
        }
        if (cnt == 1 && fixedBase.length > 0) {
            long base = IoVecLayout.base(iov, 0);
            int buf = fixedIndex(base, bytes);
            if (buf >= 0) {
                fixedBufferRequests++;
                return ring.prepare(read ? IoUringAbi.IORING_OP_READ_FIXED : IoUringAbi.IORING_OP_WRITE_FIXED,
                    IoUringAbi.IOSQE_FIXED_FILE, file, off, base, (int) bytes, 0, tag, buf);
            }
        }
        return ring.prepare(read ? IoUringAbi.IORING_OP_READV : IoUringAbi.IORING_OP_WRITEV,
            IoUringAbi.IOSQE_FIXED_FILE, file, off, iov.address(), cnt, 0, tag, 0);
    }

    private int fixedIndex(long base, long bytes) {
        for (int i = 0; i < fixedBase.length; i++) {
            if (base >= fixedBase[i] && base <= fixedEnd[i] && bytes <= fixedEnd[i] - base) {
                return i;
            }
        }
        return -1;
    }

    // ---- completion --------------------------------------------------------------------------------------------

    /** @return the request's final result (0 or -errno), or {@link #CONTINUED} when more SQEs were queued */
    private int finish(int tag, int res) {
        byte kind = op[tag];
        if (kind == READ || kind == WRITE) {
            if (res >= 0) {
                long moved = done[tag] + res;
                if (moved >= length[tag]) {
                    return 0;
                }
                done[tag] = moved;
                return IoUringSlowPath.shortTransfer(this, tag, res);
            }
        } else if (res >= 0) {
            return 0;
        } else if (kind == FALLOCATE && res == -Errno.EOPNOTSUPP && mode[tag] != punchHole()) {
            // ZERO_RANGE is not offered by every file system (tmpfs): a punched hole reads back as zeros too.
            mode[tag] = punchHole();
            return issue(tag) ? CONTINUED : -Errno.EIO;
        }
        if ((res == -Errno.EINTR || res == -Errno.EAGAIN) && retries[tag]++ < MAX_RETRIES) {
            return issue(tag) ? CONTINUED : -Errno.EIO;
        }
        return res;
    }

    private static int punchHole() {
        return Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE;
    }

    // ---- state for the slow path -------------------------------------------------------------------------------

    boolean isRead(int tag) {
        return op[tag] == READ;
    }

    MemorySegment iovecs(int tag) {
        return iovecs[tag];
    }

    int iovcnt(int tag) {
        return iovcnt[tag];
    }

    long offset(int tag) {
        return offset[tag];
    }

    long done(int tag) {
        return done[tag];
    }
}
