package io.vireo.sys;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;

/**
 * The libc calls Vireo makes, as static methods with C names in camel case, plus the constants they take.
 *
 * <p>Contract: a method returns the call's non-negative result or throws {@link SysException} naming the call and
 * errno. A {@code *Raw} method instead returns {@code -errno} and neither throws nor allocates: it is for hot paths
 * where an errno is normal (EINTR from KVM_RUN, EAGAIN from a non-blocking eventfd). errno is captured per thread
 * (see {@code Native}), so nothing here allocates unless it says so (path and name strings are copied into a
 * short-lived confined arena). Segments passed in must be native (not heap) segments.
 *
 * <p>This class is a facade: the method handles live in small package-private classes by topic
 * ({@code FileCalls}, {@code IoctlCalls}, {@code MemoryCalls}, {@code EpollCalls}, {@code ProcessCalls},
 * {@code TermiosCalls}, {@code IoUringCalls}, {@code PageCacheCalls}).
 */
public final class Libc {

    // open(2) flags (octal in the C headers)
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_NOCTTY = 0400;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_DSYNC = 010000;
    public static final int O_DIRECT = 040000;
    public static final int O_CLOEXEC = 02000000;

    // mmap(2)
    public static final int PROT_NONE = 0;
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int PROT_EXEC = 4;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_FIXED = 0x10;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int MAP_POPULATE = 0x8000;
    public static final int MAP_HUGETLB = 0x40000;

    // memfd_create(2)
    public static final int MFD_CLOEXEC = 1;
    public static final int MFD_ALLOW_SEALING = 2;
    public static final int MFD_HUGETLB = 4;

    // fallocate(2)
    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    public static final int FALLOC_FL_ZERO_RANGE = 0x10;

    // fcntl(2)
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int FD_CLOEXEC = 1;
    public static final int F_ADD_SEALS = 1033;
    public static final int F_GET_SEALS = 1034;
    public static final int F_SEAL_SEAL = 0x01;
    public static final int F_SEAL_SHRINK = 0x02;
    public static final int F_SEAL_GROW = 0x04;
    public static final int F_SEAL_WRITE = 0x08;

    // eventfd(2)
    public static final int EFD_SEMAPHORE = 1;
    public static final int EFD_NONBLOCK = 04000;
    public static final int EFD_CLOEXEC = 02000000;

    // epoll(7)
    public static final int EPOLL_CLOEXEC = 02000000;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;
    public static final int EPOLLIN = 0x001;
    public static final int EPOLLPRI = 0x002;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    public static final int EPOLLRDHUP = 0x2000;
    public static final int EPOLLONESHOT = 1 << 30;
    public static final int EPOLLET = 1 << 31;

    // poll(2)
    public static final short POLLIN = 0x001;
    public static final short POLLPRI = 0x002;
    public static final short POLLOUT = 0x004;
    public static final short POLLERR = 0x008;
    public static final short POLLHUP = 0x010;
    public static final short POLLNVAL = 0x020;

    // signal(7)
    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGQUIT = 3;
    public static final int SIGKILL = 9;
    public static final int SIGUSR1 = 10;
    public static final int SIGUSR2 = 12;
    public static final int SIGPIPE = 13;
    public static final int SIGTERM = 15;

    // termios(3)
    public static final int STDIN_FILENO = 0;
    public static final int STDOUT_FILENO = 1;
    public static final int STDERR_FILENO = 2;
    public static final int TCSANOW = 0;
    public static final int TCSADRAIN = 1;
    public static final int TCSAFLUSH = 2;
    public static final int ISIG = 0001;
    public static final int ICANON = 0002;
    public static final int ECHO = 0010;
    public static final int VTIME = 5;
    public static final int VMIN = 6;
    /** Bytes of a {@code struct termios} (same as {@link TermiosLayout#SIZE}). */
    public static final long TERMIOS_SIZE = TermiosLayout.SIZE;

    private Libc() {
    }

    // ---- files -------------------------------------------------------------------------------------------------

    /** {@code open(path, flags)}; throws {@code open(<path>): ENOENT (2)} and the like. */
    public static int open(final String path, final int flags) {
        return FileCalls.open(path, flags, 0);
    }

    /** {@code open(path, flags, mode)}, for {@link #O_CREAT}. */
    public static int open(final String path, final int flags, final int mode) {
        return FileCalls.open(path, flags, mode);
    }

    public static void close(final int fd) {
        FileCalls.close(fd);
    }

    /** Closes {@code fd} if it is not negative and ignores any error: for cleanup paths that already failed. */
    public static void closeQuietly(final int fd) {
        if (fd >= 0) {
            try {
                FileCalls.close(fd);
            } catch (SysException ignored) {
                // The descriptor is released even when close reports an error (see close(2)); nothing to do.
            }
        }
    }

    /** @return bytes read (0 at end of file) */
    public static long read(final int fd, final MemorySegment buf, final long n) {
        final long rc = FileCalls.readRaw(fd, buf, n);
        if (rc < 0) {
            throw SysException.fromRaw("read(" + fd + ")", rc);
        }
        return rc;
    }

    /** @return bytes written */
    public static long write(final int fd, final MemorySegment buf, final long n) {
        final long rc = FileCalls.writeRaw(fd, buf, n);
        if (rc < 0) {
            throw SysException.fromRaw("write(" + fd + ")", rc);
        }
        return rc;
    }

    /** @return bytes read, or {@code -errno}; never throws, never allocates */
    public static long readRaw(final int fd, final MemorySegment buf, final long n) {
        return FileCalls.readRaw(fd, buf, n);
    }

    /** @return bytes written, or {@code -errno}; never throws, never allocates */
    public static long writeRaw(final int fd, final MemorySegment buf, final long n) {
        return FileCalls.writeRaw(fd, buf, n);
    }

    public static long pread(final int fd, final MemorySegment buf, final long n, final long offset) {
        final long rc = FileCalls.preadRaw(fd, buf, n, offset);
        if (rc < 0) {
            throw SysException.fromRaw("pread(" + fd + ", offset=" + offset + ")", rc);
        }
        return rc;
    }

    public static long pwrite(final int fd, final MemorySegment buf, final long n, final long offset) {
        final long rc = FileCalls.pwriteRaw(fd, buf, n, offset);
        if (rc < 0) {
            throw SysException.fromRaw("pwrite(" + fd + ", offset=" + offset + ")", rc);
        }
        return rc;
    }

    /** @return bytes read, or {@code -errno}; never throws, never allocates */
    public static long preadRaw(final int fd, final MemorySegment buf, final long n, final long offset) {
        return FileCalls.preadRaw(fd, buf, n, offset);
    }

    /** @return bytes written, or {@code -errno}; never throws, never allocates */
    public static long pwriteRaw(final int fd, final MemorySegment buf, final long n, final long offset) {
        return FileCalls.pwriteRaw(fd, buf, n, offset);
    }

    /** {@code readv(fd, iovecs, iovcnt)} (a tap: one frame per call). @return bytes read, or {@code -errno}; never
     * throws, never allocates */
    public static long readvRaw(final int fd, final MemorySegment iovecs, final int iovcnt) {
        return FileCalls.readvRaw(fd, iovecs, iovcnt);
    }

    /** {@code writev(fd, iovecs, iovcnt)}. @return bytes written, or {@code -errno}; never throws, never allocates */
    public static long writevRaw(final int fd, final MemorySegment iovecs, final int iovcnt) {
        return FileCalls.writevRaw(fd, iovecs, iovcnt);
    }

    /**
     * {@code preadv(fd, iovecs, iovcnt, offset)}: reads into {@code iovcnt} {@link IoVecLayout} entries.
     *
     * @return bytes read (fewer than asked at end of file), or {@code -errno}; never throws, never allocates
     */
    public static long preadvRaw(final int fd, final MemorySegment iovecs, final int iovcnt, final long offset) {
        return FileCalls.preadvRaw(fd, iovecs, iovcnt, offset);
    }

    /** @return bytes written, or {@code -errno}; never throws, never allocates */
    public static long pwritevRaw(final int fd, final MemorySegment iovecs, final int iovcnt, final long offset) {
        return FileCalls.pwritevRaw(fd, iovecs, iovcnt, offset);
    }

    public static long preadv(final int fd, final MemorySegment iovecs, final int iovcnt, final long offset) {
        final long rc = FileCalls.preadvRaw(fd, iovecs, iovcnt, offset);
        if (rc < 0) {
            throw SysException.fromRaw("preadv(" + fd + ", iovcnt=" + iovcnt + ", offset=" + offset + ")", rc);
        }
        return rc;
    }

    public static long pwritev(final int fd, final MemorySegment iovecs, final int iovcnt, final long offset) {
        final long rc = FileCalls.pwritevRaw(fd, iovecs, iovcnt, offset);
        if (rc < 0) {
            throw SysException.fromRaw("pwritev(" + fd + ", iovcnt=" + iovcnt + ", offset=" + offset + ")", rc);
        }
        return rc;
    }

    public static void ftruncate(final int fd, final long length) {
        FileCalls.ftruncate(fd, length);
    }

    /** {@code fallocate(fd, mode, offset, length)}; mode is e.g. {@code FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE}. */
    public static void fallocate(final int fd, final int mode, final long offset, final long length) {
        FileCalls.fallocate(fd, mode, offset, length);
    }

    /** @return 0, or {@code -errno}; never throws, never allocates */
    public static int fallocateRaw(final int fd, final int mode, final long offset, final long length) {
        return FileCalls.fallocateRaw(fd, mode, offset, length);
    }

    public static void fsync(final int fd) {
        FileCalls.fsync(fd);
    }

    public static void fdatasync(final int fd) {
        final int rc = FileCalls.fdatasyncRaw(fd);
        if (rc < 0) {
            throw SysException.fromRaw("fdatasync(" + fd + ")", rc);
        }
    }

    /** @return 0, or {@code -errno}; never throws, never allocates */
    public static int fdatasyncRaw(final int fd) {
        return FileCalls.fdatasyncRaw(fd);
    }

    /** @return a new anonymous memory file (guest RAM), see {@link #MFD_CLOEXEC} */
    public static int memfdCreate(final String name, final int flags) {
        return FileCalls.memfdCreate(name, flags);
    }

    /** @return a new eventfd; read and write it with 8-byte native segments */
    public static int eventfd(final int initval, final int flags) {
        return FileCalls.eventfd(initval, flags);
    }

    /** {@code fcntl(fd, cmd, arg)} for the integer-argument commands ({@link #F_GETFL}, {@link #F_SETFL}, ...). */
    public static int fcntl(final int fd, final int cmd, final int arg) {
        return FileCalls.fcntl(fd, cmd, arg);
    }

    /**
     * Links the downcalls a VMM makes (files, ioctl, memory, epoll, io_uring, processes, the page cache, seccomp,
     * the native heap) now, on the calling thread. Linking a call shape generates and loads code (about 5 ms each
     * here, ~60 ms for all, none of it kept by the AOT cache), and it would otherwise happen on first use, on the
     * critical path of a VM's start: {@code vireo} calls this on a thread of its own while it parses its command
     * line. Safe from any thread at any time (class initialisation is once and thread-safe); idempotent.
     */
    public static void linkAll() {
        final MethodHandles.Lookup lookup = MethodHandles.lookup();
        for (Class<?> c : new Class<?>[] {FileCalls.class, FileCalls.Tty.class, IoctlCalls.class, MemoryCalls.class,
            EpollCalls.class, IoUringCalls.class, ProcessCalls.class, PageCacheCalls.class, Seccomp.class,
            NativeHeap.class}) {
            try {
                lookup.ensureInitialized(c);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** @return 1 if {@code fd} is a terminal, else 0 (never throws) */
    public static int isatty(final int fd) {
        return FileCalls.Tty.isatty(fd);
    }

    /**
     * @param fds       {@code nfds} {@link PollFdLayout} structs
     * @return the number of ready descriptors; 0 on timeout or when a signal interrupted the wait (EINTR)
     */
    public static int poll(final MemorySegment fds, final int nfds, final int timeoutMs) {
        return FileCalls.poll(fds, nfds, timeoutMs);
    }

    // ---- ioctl -------------------------------------------------------------------------------------------------

    /**
     * @param requestName the request's C name, for the exception: {@code ioctl(KVM_CREATE_VM): EACCES (13)}
     * @return the ioctl's result (never negative)
     */
    public static long ioctl(final int fd, final long request, final long arg, final String requestName) {
        return IoctlCalls.ioctl(fd, request, arg, requestName);
    }

    /** As {@link #ioctl(int, long, long, String)}, with a pointer to a struct as the argument. */
    public static long ioctl(final int fd, final long request, final MemorySegment arg, final String requestName) {
        return IoctlCalls.ioctl(fd, request, arg, requestName);
    }

    /** @return the ioctl's result, or {@code -errno}; never throws, never allocates (KVM_RUN, KVM_IRQ_LINE) */
    public static long ioctlRaw(final int fd, final long request, final long arg) {
        return IoctlCalls.ioctlRaw(fd, request, arg);
    }

    /** @return the ioctl's result, or {@code -errno}; never throws, never allocates */
    public static long ioctlRaw(final int fd, final long request, final MemorySegment arg) {
        return IoctlCalls.ioctlRaw(fd, request, arg);
    }

    // ---- memory ------------------------------------------------------------------------------------------------

    /**
     * @param addr 0 to let the kernel choose, else a hint (or the address, with {@link #MAP_FIXED})
     * @return the mapping as a segment of exactly {@code length} bytes; unmap it with {@link #munmap}
     */
    public static MemorySegment mmap(final long addr, final long length, final int prot, final int flags,
        final int fd, final long offset) {
        return MemoryCalls.mmap(addr, length, prot, flags, fd, offset);
    }

    /** Unmaps a segment returned by {@link #mmap}; any access to it afterwards crashes the JVM. */
    public static void munmap(final MemorySegment segment) {
        MemoryCalls.munmap(segment);
    }

    // ---- epoll -------------------------------------------------------------------------------------------------

    public static int epollCreate1(final int flags) {
        return EpollCalls.epollCreate1(flags);
    }

    /** {@code epoll_ctl} with an {@code epoll_event {events, data}} built in per-thread scratch (no allocation). */
    public static void epollCtl(final int epfd, final int op, final int fd, final int events, final long data) {
        EpollCalls.epollCtl(epfd, op, fd, events, data);
    }

    /**
     * @param events room for {@code maxEvents} {@link EpollEventLayout} structs (12 bytes each)
     * @return the number of ready events; 0 on timeout or when a signal interrupted the wait (EINTR)
     */
    public static int epollWait(final int epfd, final MemorySegment events, final int maxEvents,
        final int timeoutMs) {
        return EpollCalls.epollWait(epfd, events, maxEvents, timeoutMs);
    }

    // ---- processes and threads ---------------------------------------------------------------------------------

    public static int gettid() {
        return ProcessCalls.gettid();
    }

    public static int getpid() {
        return ProcessCalls.getpid();
    }

    public static void kill(final int pid, final int sig) {
        ProcessCalls.kill(pid, sig);
    }

    /**
     * @param tid          a thread id from {@link #gettid()} (0 = the calling thread)
     * @param cpuMaskWords the CPU set, 64 CPUs per word, CPU 0 in bit 0 of word 0
     */
    public static void schedSetaffinity(final int tid, final long[] cpuMaskWords) {
        ProcessCalls.schedSetaffinity(tid, cpuMaskWords);
    }

    // ---- io_uring (raw syscalls: glibc has no wrappers; constants in IoUringAbi) -----------------------------

    /**
     * {@code io_uring_setup(entries, params)}.
     *
     * @param params an {@link IoUringParamsLayout} segment: flags in, ring sizes, features and offsets out
     * @return the ring fd, or {@code -errno}; never throws, never allocates
     */
    public static int ioUringSetupRaw(final int entries, final MemorySegment params) {
        return IoUringCalls.setupRaw(entries, params);
    }

    /** As {@link #ioUringSetupRaw}, throwing {@code io_uring_setup(entries=...): EPERM (1)} and the like. */
    public static int ioUringSetup(final int entries, final MemorySegment params) {
        final int rc = IoUringCalls.setupRaw(entries, params);
        if (rc < 0) {
            throw SysException.fromRaw("io_uring_setup(entries=" + entries + ")", rc);
        }
        return rc;
    }

    /**
     * {@code io_uring_enter(ringFd, toSubmit, minComplete, flags, NULL, 0)}.
     *
     * @param flags {@code IoUringAbi.IORING_ENTER_*}
     * @return SQEs consumed, or {@code -errno}; never throws, never allocates
     */
    public static int ioUringEnterRaw(final int ringFd, final int toSubmit, final int minComplete,
        final int flags) {
        return IoUringCalls.enterRaw(ringFd, toSubmit, minComplete, flags);
    }

    /**
     * {@code io_uring_register(ringFd, opcode, arg, nrArgs)}.
     *
     * @param opcode {@code IoUringAbi.IORING_REGISTER_*}
     * @return the call's result, or {@code -errno}; never throws, never allocates
     */
    public static int ioUringRegisterRaw(final int ringFd, final int opcode, final MemorySegment arg,
        final int nrArgs) {
        return IoUringCalls.registerRaw(ringFd, opcode, arg, nrArgs);
    }

    /** As {@link #ioUringRegisterRaw}, throwing {@code io_uring_register(opcode=4): EBADF (9)} and the like. */
    public static int ioUringRegister(final int ringFd, final int opcode, final MemorySegment arg,
        final int nrArgs) {
        final int rc = IoUringCalls.registerRaw(ringFd, opcode, arg, nrArgs);
        if (rc < 0) {
            throw SysException.fromRaw("io_uring_register(opcode=" + opcode + ", nr=" + nrArgs + ")", rc);
        }
        return rc;
    }

    // ---- terminals ---------------------------------------------------------------------------------------------

    /** Reads the attributes of terminal {@code fd} into a {@link TermiosLayout} segment. */
    public static void tcgetattr(final int fd, final MemorySegment termios) {
        TermiosCalls.tcgetattr(fd, termios);
    }

    /** @param action {@link #TCSANOW}, {@link #TCSADRAIN} or {@link #TCSAFLUSH} */
    public static void tcsetattr(final int fd, final int action, final MemorySegment termios) {
        TermiosCalls.tcsetattr(fd, action, termios);
    }

    /** Edits a {@link TermiosLayout} segment into raw mode (no echo, no line editing, no signals from keys). */
    public static void cfmakeraw(final MemorySegment termios) {
        TermiosCalls.cfmakeraw(termios);
    }

    // ---- page cache ---------------------------------------------------------------------------------------------

    /** What cachestat(2) reports for a range of a file, in pages. */
    public record Cachestat(long cache, long dirty, long writeback, long evicted, long recentlyEvicted) {
    }

    /**
     * The page cache state of {@code length} bytes of file {@code fd} from {@code offset} (0: to the end); allocates.
     * Throws with ENOSYS before Linux 6.5.
     */
    public static Cachestat cachestat(final int fd, final long offset, final long length) {
        return PageCacheCalls.cachestat(fd, offset, length);
    }
}
