package io.vireo.dataplane.agent;

import io.vireo.sys.EpollEventLayout;
import io.vireo.sys.Errno;
import io.vireo.sys.Libc;
import io.vireo.sys.SysException;

import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An {@link AgentSleeper} over epoll: the watched eventfds plus a wake eventfd of its own. One {@code epoll_wait} per
 * sleep and one {@code read} per signalled eventfd; reading clears it before the agent looks at the rings, so a
 * signal after the read re-arms epoll and none is lost.
 */
public final class EpollSleeper implements AgentSleeper {
    private static final System.Logger LOG = System.getLogger(EpollSleeper.class.getName());
    private static final int MAX_EVENTS = 64;
    /** In an event's data: a readiness fd, not to be read. */
    private static final long READINESS = 1L << 32;

    private final String name;
    private final int epfd;
    private final int wakeFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment events = arena.allocate((long) EpollEventLayout.SIZE * MAX_EVENTS, 8);
    private final MemorySegment value = arena.allocate(8, 8);
    private final MemorySegment one = arena.allocate(8, 8);

    public EpollSleeper(String name) {
        this.name = name;
        this.epfd = Libc.epollCreate1(Libc.EPOLL_CLOEXEC);
        this.wakeFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        Libc.epollCtl(epfd, Libc.EPOLL_CTL_ADD, wakeFd, Libc.EPOLLIN, wakeFd);
    }

    @Override
    public void watch(int fd) {
        Libc.epollCtl(epfd, Libc.EPOLL_CTL_ADD, fd, Libc.EPOLLIN, fd);
    }

    @Override
    public void watchReadiness(int fd) {
        // Edge-triggered: one wake per arrival, and none while input waits unread (the queue has no room for it).
        Libc.epollCtl(epfd, Libc.EPOLL_CTL_ADD, fd, Libc.EPOLLIN | Libc.EPOLLET, READINESS | fd);
    }

    @Override
    public boolean unwatch(int fd) {
        try {
            Libc.epollCtl(epfd, Libc.EPOLL_CTL_DEL, fd, 0, 0);
            return true;
        } catch (SysException e) {
            return false;
        }
    }

    @Override
    public int await(Signals signals, int timeoutMs) {
        int n = Libc.epollWait(epfd, events, MAX_EVENTS, timeoutMs);
        for (int i = 0; i < n; i++) {
            long data = events.get(ValueLayout.JAVA_LONG_UNALIGNED,
                (long) i * EpollEventLayout.SIZE + EpollEventLayout.DATA_OFFSET);
            int fd = (int) data;
            if ((data & READINESS) != 0) {
                signals.signalled(fd, 0);
                continue;
            }
            long r = Libc.readRaw(fd, value, 8);
            if (r == 8) {
                if (fd != wakeFd) {
                    signals.signalled(fd, value.get(ValueLayout.JAVA_LONG, 0));
                }
            } else if (r < 0 && r != -Errno.EAGAIN) {
                LOG.log(Level.WARNING, "agent " + name + ": eventfd read failed: " + Errno.name((int) -r));
            }
        }
        return Math.max(n, 0);
    }

    @Override
    public void wake() {
        Libc.writeRaw(wakeFd, one, 8);
    }

    @Override
    public void close() {
        Libc.closeQuietly(wakeFd);
        Libc.closeQuietly(epfd);
        // The arena stays open: a late wake() from another thread may still write from 'one'.
    }
}
