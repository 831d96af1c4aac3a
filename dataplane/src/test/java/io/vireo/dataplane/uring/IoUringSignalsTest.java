package io.vireo.dataplane.uring;

import io.vireo.sys.IoUringAbi;
import io.vireo.sys.Libc;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The completion eventfd is quiet while the owner polls (IORING_CQ_EVENTFD_DISABLED) and signals again once armed. */
class IoUringSignalsTest {

    private static long drain(int efd, MemorySegment buf) {
        long r = Libc.readRaw(efd, buf, 8);
        return r == 8 ? buf.get(ValueLayout.JAVA_LONG, 0) : 0;
    }

    private static void nop(IoUring ring) {
        assertTrue(ring.prepare(IoUringAbi.IORING_OP_NOP, 0, -1, 0, 0, 0, 0, 7, 0));
        assertEquals(1, ring.submit());
        while (ring.cqTailAcquire() == ring.cqHead()) {
            Thread.onSpinWait();
        }
    }

    @Test
    void shouldNotSignalWhileQuietAndReportWaitingCompletionsWhenArmed() {
        int efd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        try (IoUring ring = new IoUring(8, 0, 0); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(8, 8);
            ring.registerEventFd(efd);
            nop(ring);
            assertEquals(1, drain(efd, buf), "armed (the default): one signal per completion");
            ring.putCqHeadRelease(ring.cqHead() + 1);

            ring.quietCompletionSignals();
            nop(ring);
            assertEquals(0, drain(efd, buf), "quiet: the completion left no signal behind");
            assertTrue(ring.armCompletionSignals(), "armed with a completion waiting: do not sleep");
            ring.putCqHeadRelease(ring.cqHead() + 1);
            assertFalse(ring.armCompletionSignals(), "nothing waits");
            nop(ring);
            assertEquals(1, drain(efd, buf), "armed again: signalled");
        } finally {
            Libc.closeQuietly(efd);
        }
    }
}
