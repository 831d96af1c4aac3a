package io.vireo.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * File descriptor calls behind {@link Libc}: open/close, read/write (plain, positional, vectored), sizes, sync,
 * memfd, eventfd, fcntl, poll.
 */
final class FileCalls {

    private static final MethodHandle OPEN = Native.capturingVariadic("open",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 2);
    private static final MethodHandle CLOSE = Native.capturing("close",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = Native.capturing("read",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = Native.capturing("write",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle PREAD = Native.capturing("pread",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PWRITE = Native.capturing("pwrite",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PREADV = Native.capturing("preadv",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle PWRITEV = Native.capturing("pwritev",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle READV = Native.capturing("readv",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle WRITEV = Native.capturing("writev",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle FDATASYNC = Native.capturing("fdatasync",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FTRUNCATE = Native.capturing("ftruncate",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle FALLOCATE = Native.capturing("fallocate",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FSYNC = Native.capturing("fsync",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle MEMFD_CREATE = Native.capturing("memfd_create",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle EVENTFD = Native.capturing("eventfd",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle FCNTL = Native.capturingVariadic("fcntl",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), 2);
    private static final MethodHandle POLL = Native.capturing("poll",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

    private FileCalls() {
    }

    static int open(final String path, final int flags, final int mode) {
        final MemorySegment capture = Native.capture();
        final int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = (int) OPEN.invokeExact(capture, arena.allocateFrom(path), flags, mode);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (fd < 0) {
            throw new SysException("open(" + path + ")", Native.errno(capture));
        }
        return fd;
    }

    static void close(final int fd) {
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) CLOSE.invokeExact(capture, fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            throw new SysException("close(" + fd + ")", Native.errno(capture));
        }
    }

    static long readRaw(final int fd, final MemorySegment buf, final long n) {
        final MemorySegment capture = Native.capture();
        final long rc;
        try {
            rc = (long) READ.invokeExact(capture, fd, buf, n);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : rc;
    }

    static long writeRaw(final int fd, final MemorySegment buf, final long n) {
        final MemorySegment capture = Native.capture();
        final long rc;
        try {
            rc = (long) WRITE.invokeExact(capture, fd, buf, n);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : rc;
    }

    static long preadRaw(final int fd, final MemorySegment buf, final long n, final long offset) {
        final MemorySegment capture = Native.capture();
        final long rc;
        try {
            rc = (long) PREAD.invokeExact(capture, fd, buf, n, offset);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : rc;
    }

    static long pwriteRaw(final int fd, final MemorySegment buf, final long n, final long offset) {
        final MemorySegment capture = Native.capture();
        final long rc;
        try {
            rc = (long) PWRITE.invokeExact(capture, fd, buf, n, offset);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : rc;
    }

    static long preadvRaw(final int fd, final MemorySegment iovecs, final int iovcnt, final long offset) {
        final MemorySegment capture = Native.capture();
        final long rc;
        try {
            rc = (long) PREADV.invokeExact(capture, fd, iovecs, iovcnt, offset);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : rc;
    }

    static long pwritevRaw(final int fd, final MemorySegment iovecs, final int iovcnt, final long offset) {
        final MemorySegment capture = Native.capture();
        final long rc;
        try {
            rc = (long) PWRITEV.invokeExact(capture, fd, iovecs, iovcnt, offset);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : rc;
    }

    static long readvRaw(final int fd, final MemorySegment iovecs, final int iovcnt) {
        final MemorySegment capture = Native.capture();
        final long rc;
        try {
            rc = (long) READV.invokeExact(capture, fd, iovecs, iovcnt);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : rc;
    }

    static long writevRaw(final int fd, final MemorySegment iovecs, final int iovcnt) {
        final MemorySegment capture = Native.capture();
        final long rc;
        try {
            rc = (long) WRITEV.invokeExact(capture, fd, iovecs, iovcnt);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : rc;
    }

    static int fdatasyncRaw(final int fd) {
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) FDATASYNC.invokeExact(capture, fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : rc;
    }

    static int fallocateRaw(final int fd, final int mode, final long offset, final long length) {
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) FALLOCATE.invokeExact(capture, fd, mode, offset, length);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : rc;
    }

    static void ftruncate(final int fd, final long length) {
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) FTRUNCATE.invokeExact(capture, fd, length);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            throw new SysException("ftruncate(" + fd + ", " + length + ")", Native.errno(capture));
        }
    }

    static void fallocate(final int fd, final int mode, final long offset, final long length) {
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) FALLOCATE.invokeExact(capture, fd, mode, offset, length);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            throw new SysException("fallocate(" + fd + ", mode=" + mode + ", offset=" + offset + ", length="
                + length + ")", Native.errno(capture));
        }
    }

    static void fsync(final int fd) {
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) FSYNC.invokeExact(capture, fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            throw new SysException("fsync(" + fd + ")", Native.errno(capture));
        }
    }

    static int memfdCreate(final String name, final int flags) {
        final MemorySegment capture = Native.capture();
        final int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = (int) MEMFD_CREATE.invokeExact(capture, arena.allocateFrom(name), flags);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (fd < 0) {
            throw new SysException("memfd_create(" + name + ")", Native.errno(capture));
        }
        return fd;
    }

    static int eventfd(final int initval, final int flags) {
        final MemorySegment capture = Native.capture();
        final int fd;
        try {
            fd = (int) EVENTFD.invokeExact(capture, initval, flags);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (fd < 0) {
            throw new SysException("eventfd", Native.errno(capture));
        }
        return fd;
    }

    static int fcntl(final int fd, final int cmd, final int arg) {
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) FCNTL.invokeExact(capture, fd, cmd, arg);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            throw new SysException("fcntl(" + fd + ", cmd=" + cmd + ")", Native.errno(capture));
        }
        return rc;
    }

    /**
     * isatty alone, so that the console set-up at process start (the first thing {@code vireo} does) links one
     * downcall and does not initialise this class, with its twenty ({@link Libc#linkAll} links those meanwhile,
     * on another thread).
     */
    static final class Tty {
        private static final MethodHandle ISATTY =
            Native.plain("isatty", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

        private Tty() {
        }

        static int isatty(final int fd) {
            try {
                return (int) ISATTY.invokeExact(fd);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
        }
    }

    static int poll(final MemorySegment fds, final int nfds, final int timeoutMs) {
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) POLL.invokeExact(capture, fds, (long) nfds, timeoutMs);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            final int errno = Native.errno(capture);
            if (errno == Errno.EINTR) {
                return 0;
            }
            throw new SysException("poll", errno);
        }
        return rc;
    }
}
