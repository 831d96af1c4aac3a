package io.vireo.sys;

/**
 * io_uring constants ({@code <linux/io_uring.h>}, x86-64 syscall numbers): setup and enter flags, opcodes, register
 * opcodes, ring flags and the mmap offsets of the rings. Struct layouts are the {@code IoUring*Layout},
 * {@code Io*ringOffsetsLayout} and {@link IoVecLayout} classes; the calls are {@link Libc#ioUringSetupRaw},
 * {@link Libc#ioUringEnterRaw} and {@link Libc#ioUringRegisterRaw}. {@code AbiConstantsTest} checks every value.
 */
public final class IoUringAbi {

    // ---- syscall numbers (glibc has no wrappers; the calls go through syscall(2)) ----
    public static final long SYS_IO_URING_SETUP = 425;
    public static final long SYS_IO_URING_ENTER = 426;
    public static final long SYS_IO_URING_REGISTER = 427;

    // ---- io_uring_setup flags (io_uring_params.flags) ----
    public static final int IORING_SETUP_IOPOLL = 1;
    /** A kernel thread polls the SQ; submission needs no syscall while it is awake. */
    public static final int IORING_SETUP_SQPOLL = 1 << 1;
    public static final int IORING_SETUP_SQ_AFF = 1 << 2;
    public static final int IORING_SETUP_CQSIZE = 1 << 3;
    public static final int IORING_SETUP_CLAMP = 1 << 4;
    public static final int IORING_SETUP_R_DISABLED = 1 << 6;
    public static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;
    public static final int IORING_SETUP_COOP_TASKRUN = 1 << 8;
    /** Only one task submits: the creator, or with R_DISABLED the task that enables the ring. */
    public static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12;
    public static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13;

    // ---- opcodes (io_uring_sqe.opcode) ----
    public static final int IORING_OP_NOP = 0;
    public static final int IORING_OP_READV = 1;
    public static final int IORING_OP_WRITEV = 2;
    public static final int IORING_OP_FSYNC = 3;
    public static final int IORING_OP_READ_FIXED = 4;
    public static final int IORING_OP_WRITE_FIXED = 5;
    public static final int IORING_OP_FALLOCATE = 17;
    public static final int IORING_OP_READ = 22;
    public static final int IORING_OP_WRITE = 23;

    /** io_uring_sqe.fsync_flags: fdatasync instead of fsync. */
    public static final int IORING_FSYNC_DATASYNC = 1;

    // ---- io_uring_sqe.flags ----
    /** sqe.fd is an index into the files registered with IORING_REGISTER_FILES. */
    public static final int IOSQE_FIXED_FILE = 1;
    public static final int IOSQE_IO_DRAIN = 1 << 1;
    public static final int IOSQE_IO_LINK = 1 << 2;
    public static final int IOSQE_ASYNC = 1 << 4;

    // ---- SQ ring flags (kernel-written) ----
    /** The SQPOLL thread sleeps: io_uring_enter with IORING_ENTER_SQ_WAKEUP wakes it. */
    public static final int IORING_SQ_NEED_WAKEUP = 1;
    public static final int IORING_SQ_CQ_OVERFLOW = 1 << 1;

    // ---- CQ ring flags (user-written) ----
    public static final int IORING_CQ_EVENTFD_DISABLED = 1;

    // ---- io_uring_enter flags ----
    public static final int IORING_ENTER_GETEVENTS = 1;
    public static final int IORING_ENTER_SQ_WAKEUP = 1 << 1;
    public static final int IORING_ENTER_SQ_WAIT = 1 << 2;

    // ---- io_uring_params.features ----
    /** The SQ and CQ rings share one mmap (at IORING_OFF_SQ_RING). */
    public static final int IORING_FEAT_SINGLE_MMAP = 1;
    public static final int IORING_FEAT_NODROP = 1 << 1;
    public static final int IORING_FEAT_SUBMIT_STABLE = 1 << 2;
    public static final int IORING_FEAT_SQPOLL_NONFIXED = 1 << 7;

    // ---- mmap offsets of the ring fd ----
    public static final long IORING_OFF_SQ_RING = 0L;
    public static final long IORING_OFF_CQ_RING = 0x8000000L;
    public static final long IORING_OFF_SQES = 0x10000000L;

    // ---- io_uring_register opcodes ----
    public static final int IORING_REGISTER_BUFFERS = 0;
    public static final int IORING_UNREGISTER_BUFFERS = 1;
    public static final int IORING_REGISTER_FILES = 2;
    public static final int IORING_UNREGISTER_FILES = 3;
    public static final int IORING_REGISTER_EVENTFD = 4;
    public static final int IORING_UNREGISTER_EVENTFD = 5;
    public static final int IORING_REGISTER_ENABLE_RINGS = 12;

    private IoUringAbi() {
    }
}
