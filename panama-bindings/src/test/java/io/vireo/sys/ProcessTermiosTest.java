package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** Process and thread ids, signals, affinity and terminal attributes. */
class ProcessTermiosTest {

    @Test
    void shouldGiveEachThreadItsOwnTidInThisProcess() throws InterruptedException {
        assertEquals(ProcessHandle.current().pid(), Libc.getpid());
        final AtomicInteger other = new AtomicInteger();
        final Thread thread = Thread.ofPlatform().start(() -> other.set(Libc.gettid()));
        thread.join();
        assertNotEquals(0, other.get());
        assertNotEquals(Libc.gettid(), other.get());
    }

    @Test
    void shouldAcceptSignalZeroForThisProcessAndRejectAMissingOne() {
        Libc.kill(Libc.getpid(), 0);
        final SysException e = assertThrows(SysException.class, () -> Libc.kill(Integer.MAX_VALUE, 0));
        assertEquals(Errno.ESRCH, e.errno());
    }

    @Test
    void shouldPinAThreadToEveryOnlineCpu() throws InterruptedException {
        final int cpus = Runtime.getRuntime().availableProcessors();
        final long[] mask = new long[(cpus + 63) / 64];
        for (int cpu = 0; cpu < cpus; cpu++) {
            mask[cpu / 64] |= 1L << (cpu % 64);
        }
        final Thread thread = Thread.ofPlatform().start(() -> Libc.schedSetaffinity(0, mask));
        thread.join();
        final SysException e = assertThrows(SysException.class, () -> Libc.schedSetaffinity(0, new long[1]));
        assertEquals(Errno.EINVAL, e.errno(), "an empty CPU set");
    }

    @Test
    void shouldClearEchoAndLineModeWhenMakingTermiosRaw() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment t = arena.allocate(TermiosLayout.LAYOUT);
            t.set(JAVA_INT, TermiosLayout.C_LFLAG_OFFSET, Libc.ECHO | Libc.ICANON | Libc.ISIG);
            Libc.cfmakeraw(t);
            assertEquals(0, t.get(JAVA_INT, TermiosLayout.C_LFLAG_OFFSET) & (Libc.ECHO | Libc.ICANON | Libc.ISIG));
            assertEquals(1, t.get(JAVA_BYTE, TermiosLayout.C_CC_OFFSET + Libc.VMIN), "read returns after 1 byte");
            assertEquals(0, t.get(JAVA_BYTE, TermiosLayout.C_CC_OFFSET + Libc.VTIME));
        }
    }

    @Test
    void shouldFailWithEnottyWhenTheDescriptorIsNoTerminal() {
        final int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment t = arena.allocate(Libc.TERMIOS_SIZE, 8);
            final SysException e = assertThrows(SysException.class, () -> Libc.tcgetattr(fd, t));
            assertEquals("tcgetattr(" + fd + "): ENOTTY (25)", e.getMessage());
            assertThrows(SysException.class, () -> Libc.tcsetattr(fd, Libc.TCSANOW, t));
        } finally {
            Libc.close(fd);
        }
    }
}
