package io.vireo.dataplane.uring;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.vireo.sys.IoCqringOffsetsLayout;
import io.vireo.sys.IoSqringOffsetsLayout;
import io.vireo.sys.IoUringAbi;
import io.vireo.sys.IoUringCqeLayout;
import io.vireo.sys.IoUringParamsLayout;
import io.vireo.sys.IoUringSqeLayout;
import io.vireo.sys.Libc;
import io.vireo.sys.SysException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * One io_uring instance: the SQ ring, the CQ ring and the SQE array mapped as segments, driven without liburing.
 * Created and configured on the control path, then used by one thread (the queue's worker); not thread-safe.
 *
 * <pre>
 *   SQ ring (mmap IORING_OFF_SQ_RING)       CQ ring (same mmap with IORING_FEAT_SINGLE_MMAP)
 *   head   u32  kernel advances             head   u32  we advance (release)
 *   tail   u32  we advance (release)        tail   u32  kernel advances (we load acquire)
 *   flags  u32  kernel (NEED_WAKEUP)        cqes[] 16 bytes each: user_data, res, flags
 *   array[] u32 SQE index per slot: identity, written once here
 *   SQEs (mmap IORING_OFF_SQES): 64 bytes each, slot (tail & mask)
 * </pre>
 *
 * <p>{@link #prepare} fills the next SQE and keeps it private; {@link #submit()} publishes every prepared SQE with
 * one release store of the SQ tail and at most one {@code io_uring_enter} (none at all with SQPOLL while the poller
 * is awake). Completions are read from the CQ ring without any system call ({@link #cqHead()},
 * {@link #cqTailAcquire()}, {@link #putCqHeadRelease}). Nothing on those paths allocates.
 */
public final class IoUring implements AutoCloseable {

    private static final VarHandle INT = JAVA_INT.varHandle();

    private final int ringFd;
    private final int setupFlags;
    private final int sqEntries;
    private final int sqMask;
    private final int cqEntries;
    private final int cqMask;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing;
    private final MemorySegment sqes;
    private final long sqHeadOffset;
    private final long sqTailOffset;
    private final long sqFlagsOffset;
    private final long cqHeadOffset;
    private final long cqTailOffset;
    /** cq_off.flags, or -1 on kernels without it (before 5.8): completion signals cannot be switched off there. */
    private final long cqFlagsOffset;
    private final long cqesOffset;
    private final Arena arena = Arena.ofShared();

    /** The next free SQE slot, ahead of the published tail by the SQEs prepared and not yet submitted. */
    private int sqeTail;
    /** Our copy of the CQ head: only we write it. */
    private int cqHead;
    /** IORING_CQ_EVENTFD_DISABLED is set (we are the only writer of cq_flags). */
    private boolean signalsQuiet;
    private boolean closed;

    /**
     * @param entries        SQ size, a power of two (the CQ gets twice as many)
     * @param setupFlags     {@code IoUringAbi.IORING_SETUP_*}
     * @param sqThreadIdleMs with {@link IoUringAbi#IORING_SETUP_SQPOLL}: how long the poller spins before it sleeps
     * @throws SysException when the kernel refuses (ENOMEM for locked memory, EPERM under seccomp, EINVAL, ...)
     */
    public IoUring(int entries, int setupFlags, int sqThreadIdleMs) {
        MemorySegment params = arena.allocate(IoUringParamsLayout.LAYOUT);
        params.set(JAVA_INT, IoUringParamsLayout.FLAGS_OFFSET, setupFlags);
        params.set(JAVA_INT, IoUringParamsLayout.SQ_THREAD_IDLE_OFFSET, sqThreadIdleMs);
        this.setupFlags = setupFlags;
        this.ringFd = Libc.ioUringSetup(entries, params);
        try {
            sqEntries = params.get(JAVA_INT, IoUringParamsLayout.SQ_ENTRIES_OFFSET);
            cqEntries = params.get(JAVA_INT, IoUringParamsLayout.CQ_ENTRIES_OFFSET);
            long sq = IoUringParamsLayout.SQ_OFF_OFFSET;
            long cq = IoUringParamsLayout.CQ_OFF_OFFSET;
            sqHeadOffset = params.get(JAVA_INT, sq + IoSqringOffsetsLayout.HEAD_OFFSET);
            sqTailOffset = params.get(JAVA_INT, sq + IoSqringOffsetsLayout.TAIL_OFFSET);
            sqFlagsOffset = params.get(JAVA_INT, sq + IoSqringOffsetsLayout.FLAGS_OFFSET);
            long sqArrayOffset = params.get(JAVA_INT, sq + IoSqringOffsetsLayout.ARRAY_OFFSET);
            cqHeadOffset = params.get(JAVA_INT, cq + IoCqringOffsetsLayout.HEAD_OFFSET);
            cqTailOffset = params.get(JAVA_INT, cq + IoCqringOffsetsLayout.TAIL_OFFSET);
            int cqFlags = params.get(JAVA_INT, cq + IoCqringOffsetsLayout.FLAGS_OFFSET);
            cqFlagsOffset = cqFlags != 0 ? cqFlags : -1;
            cqesOffset = params.get(JAVA_INT, cq + IoCqringOffsetsLayout.CQES_OFFSET);
            int features = params.get(JAVA_INT, IoUringParamsLayout.FEATURES_OFFSET);

            long sqBytes = sqArrayOffset + 4L * sqEntries;
            long cqBytes = cqesOffset + IoUringCqeLayout.SIZE * cqEntries;
            int prot = Libc.PROT_READ | Libc.PROT_WRITE;
            int flags = Libc.MAP_SHARED | Libc.MAP_POPULATE;
            if ((features & IoUringAbi.IORING_FEAT_SINGLE_MMAP) != 0) {
                sqRing = Libc.mmap(0, Math.max(sqBytes, cqBytes), prot, flags, ringFd, IoUringAbi.IORING_OFF_SQ_RING);
                cqRing = sqRing;
            } else {
                sqRing = Libc.mmap(0, sqBytes, prot, flags, ringFd, IoUringAbi.IORING_OFF_SQ_RING);
                cqRing = Libc.mmap(0, cqBytes, prot, flags, ringFd, IoUringAbi.IORING_OFF_CQ_RING);
            }
            sqes = Libc.mmap(0, IoUringSqeLayout.SIZE * sqEntries, prot, flags, ringFd, IoUringAbi.IORING_OFF_SQES);
            sqMask = sqRing.get(JAVA_INT, params.get(JAVA_INT, sq + IoSqringOffsetsLayout.RING_MASK_OFFSET));
            cqMask = cqRing.get(JAVA_INT, params.get(JAVA_INT, cq + IoCqringOffsetsLayout.RING_MASK_OFFSET));
            // Slot i of the SQ array always names SQE i, so the array is written once and an SQE is picked by tail.
            for (int i = 0; i < sqEntries; i++) {
                sqRing.set(JAVA_INT, sqArrayOffset + 4L * i, i);
            }
            sqeTail = (int) INT.getAcquire(sqRing, sqTailOffset);
            cqHead = (int) INT.getAcquire(cqRing, cqHeadOffset);
        } catch (RuntimeException e) {
            // The mappings that did succeed stay until exit: this is a failed setup on the control path, once.
            Libc.closeQuietly(ringFd);
            arena.close();
            throw e;
        }
    }

    public int ringFd() {
        return ringFd;
    }

    public int sqEntries() {
        return sqEntries;
    }

    public int cqEntries() {
        return cqEntries;
    }

    public boolean sqpoll() {
        return (setupFlags & IoUringAbi.IORING_SETUP_SQPOLL) != 0;
    }

    // ---- registration (control path) ---------------------------------------------------------------------------

    /** Signals {@code eventFd} whenever a completion is posted (IORING_REGISTER_EVENTFD). */
    public void registerEventFd(int eventFd) {
        MemorySegment arg = arena.allocate(JAVA_INT);
        arg.set(JAVA_INT, 0, eventFd);
        Libc.ioUringRegister(ringFd, IoUringAbi.IORING_REGISTER_EVENTFD, arg, 1);
    }

    /** Registers {@code fds}: SQEs then name them by index with {@link IoUringAbi#IOSQE_FIXED_FILE}. */
    public void registerFiles(int... fds) {
        MemorySegment arg = arena.allocate(JAVA_INT, fds.length);
        for (int i = 0; i < fds.length; i++) {
            arg.setAtIndex(JAVA_INT, i, fds[i]);
        }
        Libc.ioUringRegister(ringFd, IoUringAbi.IORING_REGISTER_FILES, arg, fds.length);
    }

    /**
     * Registers {@code count} buffers (an {@code IoVecLayout} array, each at most 1 GiB) for READ_FIXED and
     * WRITE_FIXED: the kernel pins the pages once instead of per request.
     */
    public void registerBuffers(MemorySegment iovecs, int count) {
        Libc.ioUringRegister(ringFd, IoUringAbi.IORING_REGISTER_BUFFERS, iovecs, count);
    }

    // ---- submission (hot path) ---------------------------------------------------------------------------------

    /**
     * Fills the next SQE; it reaches the kernel at the next {@link #submit()}.
     *
     * @param sqeFlags {@code IOSQE_*}
     * @param fd       a file descriptor, or an index of the registered files with {@code IOSQE_FIXED_FILE}
     * @param len      a byte count, an iovec count, or the FALLOCATE mode (see {@code IoUringSqeLayout})
     * @param opFlags  rw_flags / fsync_flags
     * @param bufIndex the registered buffer of READ_FIXED/WRITE_FIXED, else 0
     * @return false when the SQ is full (nothing was written)
     */
    public boolean prepare(int opcode, int sqeFlags, int fd, long off, long addr, int len, int opFlags,
        long userData, int bufIndex) {
        // ORDERING: acquire pairs with the kernel's release of the SQ head: a consumed slot is free to overwrite.
        int head = (int) INT.getAcquire(sqRing, sqHeadOffset);
        if (sqeTail - head >= sqEntries) {
            return false;
        }
        long sqe = (long) (sqeTail & sqMask) * IoUringSqeLayout.SIZE;
        sqes.set(JAVA_BYTE, sqe + IoUringSqeLayout.OPCODE_OFFSET, (byte) opcode);
        sqes.set(JAVA_BYTE, sqe + IoUringSqeLayout.FLAGS_OFFSET, (byte) sqeFlags);
        sqes.set(JAVA_SHORT, sqe + IoUringSqeLayout.IOPRIO_OFFSET, (short) 0);
        sqes.set(JAVA_INT, sqe + IoUringSqeLayout.FD_OFFSET, fd);
        sqes.set(JAVA_LONG, sqe + IoUringSqeLayout.OFF_OFFSET, off);
        sqes.set(JAVA_LONG, sqe + IoUringSqeLayout.ADDR_OFFSET, addr);
        sqes.set(JAVA_INT, sqe + IoUringSqeLayout.LEN_OFFSET, len);
        sqes.set(JAVA_INT, sqe + IoUringSqeLayout.RW_FLAGS_OFFSET, opFlags);
        sqes.set(JAVA_LONG, sqe + IoUringSqeLayout.USER_DATA_OFFSET, userData);
        sqes.set(JAVA_SHORT, sqe + IoUringSqeLayout.BUF_INDEX_OFFSET, (short) bufIndex);
        sqes.set(JAVA_SHORT, sqe + IoUringSqeLayout.PERSONALITY_OFFSET, (short) 0);
        sqes.set(JAVA_INT, sqe + IoUringSqeLayout.FILE_INDEX_OFFSET, 0);
        sqes.set(JAVA_LONG, sqe + IoUringSqeLayout.ADDR3_OFFSET, 0L);
        sqes.set(JAVA_LONG, sqe + IoUringSqeLayout.ADDR3_OFFSET + 8, 0L);
        sqeTail++;
        return true;
    }

    /** SQEs prepared since the last {@link #submit()}. */
    public int prepared() {
        return sqeTail - (int) INT.get(sqRing, sqTailOffset);
    }

    /**
     * Publishes the prepared SQEs and, unless an awake SQPOLL thread picks them up, enters the kernel once.
     *
     * @return SQEs handed over (prepared ones, with SQPOLL), or {@code -errno} from io_uring_enter
     */
    public int submit() {
        int published = (int) INT.get(sqRing, sqTailOffset);
        int fresh = sqeTail - published;
        if (fresh != 0) {
            // ORDERING: release pairs with the kernel's acquire of the SQ tail: the SQE stores above are visible
            // before the kernel (or the SQPOLL thread) can see the slot.
            INT.setRelease(sqRing, sqTailOffset, sqeTail);
        }
        if (sqpoll()) {
            // Re-check the wake-up flag while anything is left in the SQ, not only when this call added some: a
            // poller that went to sleep after an earlier failed wake-up would otherwise strand those SQEs.
            if (fresh == 0 && unconsumed() == 0) {
                return 0;
            }
            // ORDERING: a full fence between the tail store and the flags load (liburing's io_uring_smp_mb): else
            // the poller could check the tail, go to sleep and set NEED_WAKEUP after we read the old flags.
            VarHandle.fullFence();
            int flags = (int) INT.get(sqRing, sqFlagsOffset);
            if ((flags & IoUringAbi.IORING_SQ_NEED_WAKEUP) != 0) {
                int rc = Libc.ioUringEnterRaw(ringFd, fresh, 0, IoUringAbi.IORING_ENTER_SQ_WAKEUP);
                if (rc < 0) {
                    return rc;
                }
            }
            return fresh;
        }
        // Everything the kernel has not consumed yet: after an EINTR or EAGAIN the leftovers go with this batch.
        // ORDERING: acquire pairs with the kernel's release of the SQ head.
        int pending = sqeTail - (int) INT.getAcquire(sqRing, sqHeadOffset);
        if (pending == 0) {
            return 0;
        }
        return Libc.ioUringEnterRaw(ringFd, pending, 0, 0);
    }

    /**
     * SQEs prepared and not yet consumed by the kernel (published or not): after a failed or partial
     * {@code io_uring_enter} (EAGAIN, EBUSY, EINTR, a short count) they are pending work that nothing will complete
     * until they are submitted again, so the owner must not sleep while this is non-zero.
     */
    public int unconsumed() {
        // ORDERING: acquire pairs with the kernel's release of the SQ head.
        return sqeTail - (int) INT.getAcquire(sqRing, sqHeadOffset);
    }

    /** Blocks until at least {@code minComplete} completions wait in the CQ (control path: close, tests). */
    public int waitCompletions(int minComplete) {
        return Libc.ioUringEnterRaw(ringFd, 0, minComplete, IoUringAbi.IORING_ENTER_GETEVENTS);
    }

    // ---- completion (hot path, no system call) -----------------------------------------------------------------

    /** Our CQ head: the next completion to read. */
    public int cqHead() {
        return cqHead;
    }

    /** The kernel's CQ tail; completions {@code cqHead() .. tail-1} are readable. */
    public int cqTailAcquire() {
        // ORDERING: acquire pairs with the kernel's release of the CQ tail: the CQE contents are visible.
        return (int) INT.getAcquire(cqRing, cqTailOffset);
    }

    public long cqeUserData(int index) {
        return cqRing.get(JAVA_LONG, cqesOffset + (long) (index & cqMask) * IoUringCqeLayout.SIZE
            + IoUringCqeLayout.USER_DATA_OFFSET);
    }

    public int cqeRes(int index) {
        return cqRing.get(JAVA_INT, cqesOffset + (long) (index & cqMask) * IoUringCqeLayout.SIZE
            + IoUringCqeLayout.RES_OFFSET);
    }

    // ---- completion signals (the registered eventfd) --------------------------------------------------------------

    /**
     * While the owner polls the CQ anyway: the kernel stops signalling the registered eventfd
     * (IORING_CQ_EVENTFD_DISABLED), so completions reaped while awake leave no stale signal that would end the owner's
     * next sleep at once.
     */
    public void quietCompletionSignals() {
        if (!signalsQuiet && cqFlagsOffset >= 0) {
            signalsQuiet = true;
            // Plain store: a hint; a signal that still comes is harmless (one spurious wake-up).
            int flags = (int) INT.get(cqRing, cqFlagsOffset);
            INT.set(cqRing, cqFlagsOffset, flags | IoUringAbi.IORING_CQ_EVENTFD_DISABLED);
        }
    }

    /**
     * Before the owner sleeps: signal the eventfd again, then re-check. Returns true when completions already wait (the
     * owner must reap rather than sleep: their signal may have been skipped).
     */
    public boolean armCompletionSignals() {
        if (signalsQuiet) {
            signalsQuiet = false;
            int flags = (int) INT.get(cqRing, cqFlagsOffset);
            INT.set(cqRing, cqFlagsOffset, flags & ~IoUringAbi.IORING_CQ_EVENTFD_DISABLED);
            // ORDERING: StoreLoad. The kernel posts a CQE (release of the tail), then reads cq_flags to decide on the
            // signal: our flag store must be visible before we re-read the tail, or a completion in between is
            // signalled by neither side. (The owner also bounds its sleep while I/O is in flight: belt and braces.)
            VarHandle.fullFence();
        }
        return cqTailAcquire() != cqHead;
    }

    /** Hands CQ slots before {@code head} back to the kernel. */
    public void putCqHeadRelease(int head) {
        cqHead = head;
        // ORDERING: release so our reads of those CQEs happen before the kernel may overwrite the slots.
        INT.setRelease(cqRing, cqHeadOffset, head);
    }

    /** Unmaps the rings and closes the ring fd; the kernel cancels or finishes what is still in flight. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Libc.munmap(sqes);
        if (cqRing != sqRing) {
            Libc.munmap(cqRing);
        }
        Libc.munmap(sqRing);
        Libc.closeQuietly(ringFd);
        arena.close();
    }
}
