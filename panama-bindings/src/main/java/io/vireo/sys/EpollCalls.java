package io.vireo.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** epoll behind {@link Libc}. Neither epollCtl nor epollWait allocates (epollCtl uses the per-thread scratch). */
final class EpollCalls {

    private static final MethodHandle EPOLL_CREATE1 = Native.capturing("epoll_create1",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle EPOLL_CTL = Native.capturing("epoll_ctl",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle EPOLL_WAIT = Native.capturing("epoll_wait",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));

    private EpollCalls() {
    }

    static int epollCreate1(final int flags) {
        final MemorySegment capture = Native.capture();
        final int fd;
        try {
            fd = (int) EPOLL_CREATE1.invokeExact(capture, flags);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (fd < 0) {
            throw new SysException("epoll_create1", Native.errno(capture));
        }
        return fd;
    }

    static void epollCtl(final int epfd, final int op, final int fd, final int events, final long data) {
        final Native.ThreadBuffers buffers = Native.buffers();
        final MemorySegment event = buffers.scratch;
        event.set(JAVA_INT, EpollEventLayout.EVENTS_OFFSET, events);
        event.set(JAVA_LONG_UNALIGNED, EpollEventLayout.DATA_OFFSET, data);
        final int rc;
        try {
            rc = (int) EPOLL_CTL.invokeExact(buffers.capture, epfd, op, fd, event);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            throw new SysException("epoll_ctl(" + epfd + ", op=" + op + ", fd=" + fd + ")",
                Native.errno(buffers.capture));
        }
    }

    static int epollWait(final int epfd, final MemorySegment events, final int maxEvents, final int timeoutMs) {
        if (events.byteSize() < maxEvents * EpollEventLayout.SIZE) {
            throw new IllegalArgumentException("events segment too small: byteSize=" + events.byteSize()
                + ", maxEvents=" + maxEvents + ", need=" + maxEvents * EpollEventLayout.SIZE);
        }
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) EPOLL_WAIT.invokeExact(capture, epfd, events, maxEvents, timeoutMs);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            final int errno = Native.errno(capture);
            // A signal (e.g. a debugger or profiler) woke us: report "nothing ready", the caller loops anyway.
            if (errno == Errno.EINTR) {
                return 0;
            }
            throw new SysException("epoll_wait(" + epfd + ")", errno);
        }
        return rc;
    }
}
