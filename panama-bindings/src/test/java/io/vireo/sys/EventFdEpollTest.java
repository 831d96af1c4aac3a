package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;

/** eventfd, epoll, poll and fcntl on real descriptors. */
class EventFdEpollTest {

    @Test
    void shouldReadBackTheSumOfWritesWhenRoundTrippingAnEventfd() {
        final int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment value = arena.allocate(JAVA_LONG);
            value.set(JAVA_LONG, 0, 5);
            assertEquals(8, Libc.write(fd, value, 8));
            value.set(JAVA_LONG, 0, 37);
            assertEquals(8, Libc.writeRaw(fd, value, 8));
            value.set(JAVA_LONG, 0, 0);
            assertEquals(8, Libc.read(fd, value, 8));
            assertEquals(42, value.get(JAVA_LONG, 0));
            // Empty and non-blocking: the raw call reports -EAGAIN, the throwing one names it.
            assertEquals(-Errno.EAGAIN, Libc.readRaw(fd, value, 8));
            final SysException e = assertThrows(SysException.class, () -> Libc.read(fd, value, 8));
            assertEquals("read(" + fd + "): EAGAIN (11)", e.getMessage());
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void shouldReportNonBlockingAndNotATerminalForAnEventfd() {
        final int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        try {
            assertTrue((Libc.fcntl(fd, Libc.F_GETFL, 0) & Libc.O_NONBLOCK) != 0);
            assertEquals(Libc.FD_CLOEXEC, Libc.fcntl(fd, Libc.F_GETFD, 0) & Libc.FD_CLOEXEC);
            assertEquals(0, Libc.isatty(fd));
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void shouldWakeEpollWithTheRegisteredDataWhenTheEventfdIsSignalled() {
        final int efd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        final int epfd = Libc.epollCreate1(Libc.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            final long data = 0x1234_5678_9abc_def0L;
            Libc.epollCtl(epfd, Libc.EPOLL_CTL_ADD, efd, Libc.EPOLLIN | Libc.EPOLLET, data);
            final MemorySegment events = arena.allocate(EpollEventLayout.SIZE * 4, 8);
            assertEquals(0, Libc.epollWait(epfd, events, 4, 0), "nothing written yet");

            final MemorySegment one = arena.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1);
            Libc.write(efd, one, 8);
            assertEquals(1, Libc.epollWait(epfd, events, 4, 1000));
            assertEquals(Libc.EPOLLIN, EpollEventLayout.events(events, 0) & Libc.EPOLLIN);
            assertEquals(data, EpollEventLayout.data(events, 0));
            // Edge-triggered: no new write, no new event.
            assertEquals(0, Libc.epollWait(epfd, events, 4, 0));

            Libc.epollCtl(epfd, Libc.EPOLL_CTL_DEL, efd, 0, 0);
            Libc.write(efd, one, 8);
            assertEquals(0, Libc.epollWait(epfd, events, 4, 0), "removed from the set");
        } finally {
            Libc.close(epfd);
            Libc.close(efd);
        }
    }

    @Test
    void shouldRejectAnEventsSegmentSmallerThanMaxEvents() {
        final int epfd = Libc.epollCreate1(Libc.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment events = arena.allocate(EpollEventLayout.SIZE);
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Libc.epollWait(epfd, events, 2, 0));
            assertEquals("events segment too small: byteSize=12, maxEvents=2, need=24", e.getMessage());
        } finally {
            Libc.close(epfd);
        }
    }

    @Test
    void shouldReportPollinWhenPollingASignalledEventfd() {
        final int efd = Libc.eventfd(3, Libc.EFD_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment fds = arena.allocate(PollFdLayout.LAYOUT);
            fds.set(JAVA_INT, PollFdLayout.FD_OFFSET, efd);
            fds.set(JAVA_SHORT, PollFdLayout.EVENTS_OFFSET, Libc.POLLIN);
            assertEquals(1, Libc.poll(fds, 1, 1000));
            assertEquals(Libc.POLLIN, fds.get(JAVA_SHORT, PollFdLayout.REVENTS_OFFSET));
        } finally {
            Libc.close(efd);
        }
    }
}
