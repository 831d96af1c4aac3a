package io.vireo.dataplane.agent;

import io.vireo.dataplane.stats.Counters;
import io.vireo.sys.Libc;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The runner's error path: a duty cycle that throws is counted every time, logged once, and the agent goes on. */
class DataPlaneTest {

    /** A queue whose poll throws the same bug every time. */
    private static final class FaultyQueue implements PolledQueue {
        final int kickFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        volatile long polls;

        @Override
        public int poll() {
            polls++;
            throw new IllegalStateException("a bug in the duty cycle");
        }

        @Override
        public void suppressNotifications() {
        }

        @Override
        public boolean armNotifications() {
            return false;
        }

        @Override
        public int inFlight() {
            return 0;
        }

        @Override
        public int kickEventFd() {
            return kickFd;
        }

        @Override
        public int completionEventFd() {
            return -1;
        }

        @Override
        public Counters<AgentCounter> counters() {
            return new Counters<>(AgentCounter.class);
        }
    }

    @Test
    void shouldCountEveryErrorRecordOneDistinctErrorAndKeepServing() {
        FaultyQueue q = new FaultyQueue();
        try (DataPlane dp = new DataPlane(DataPlane.Threads.SHARED, new int[0])) {
            dp.place("d", new PolledQueue[] {q}, 10_000_000);
            dp.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (dp.errors() < 5 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(1_000_000);
            }
            assertTrue(dp.errors() >= 5, "every throw counted: " + dp.errors());
            assertEquals(1, dp.distinctErrors(), "one stack trace, recorded once");
            assertTrue(q.polls >= 5, "the agent kept running its duty cycle");
            Map<String, Long> stats = new HashMap<>();
            dp.report(stats::put);
            assertTrue(stats.get("agent_errors") >= 5);
            assertEquals(1L, stats.get("agent_distinct_errors"));
        } finally {
            Libc.closeQuietly(q.kickFd);
        }
    }
}
