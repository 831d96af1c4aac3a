package io.vireo.dataplane.virtio;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FaultLogTest {
    private FaultLogCapture capture;

    @BeforeEach
    void capture() {
        capture = new FaultLogCapture();
    }

    @AfterEach
    void release() {
        capture.close();
    }

    private static void fault(FaultLog log) {
        if (log.admit()) {
            log.log(0, "AVAIL_IDX_CORRUPT (virtio 1.2 §2.7.6) avail idx moved by more than the queue size",
                "value 0x1234", "device needs reset");
        }
    }

    @Test
    void shouldLogFirstFaultsThenOnlyCountThem() {
        FaultLog log = new FaultLog("disk1 (00:02.0)");
        for (int i = 0; i < 1000; i++) {
            fault(log);
        }
        List<String> lines = capture.lines();
        assertEquals(FaultLog.FIRST_LINES, lines.size(), lines::toString);
        assertEquals("disk1 (00:02.0) q0: AVAIL_IDX_CORRUPT (virtio 1.2 §2.7.6) avail idx moved by more than the "
            + "queue size: value 0x1234; device needs reset", lines.get(0));
        assertTrue(lines.get(FaultLog.FIRST_LINES - 1).endsWith(
            "; device needs reset (further guest faults of this device are counted, not logged)"), lines::toString);
        assertTrue(capture.records.stream().allMatch(r -> r.getLevel() == Level.WARNING));
        assertEquals(1000, log.faults());

        log.summary();
        assertEquals("disk1 (00:02.0): 995 more guest faults, not logged", capture.lines().get(FaultLog.FIRST_LINES));
        log.summary();
        assertEquals(FaultLog.FIRST_LINES + 1, capture.lines().size(), "nothing new to summarise");
    }

    @Test
    void shouldNameTheDeviceByItsLatestName() {
        FaultLog log = new FaultLog("virtio-blk");
        log.name("disk0 (00:01.0)");
        fault(log);
        assertTrue(capture.lines().get(0).startsWith("disk0 (00:01.0) q0: "), capture.lines()::toString);
    }

    @Test
    void shouldAllocateNothingWhileOnlyCounting() {
        java.lang.management.ThreadMXBean base = ManagementFactory.getThreadMXBean();
        assumeTrue(base instanceof com.sun.management.ThreadMXBean, "needs HotSpot's allocation counter");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) base;
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled());
        FaultLog log = new FaultLog("disk0 (00:01.0)");
        for (int i = 0; i < 200_000; i++) {
            fault(log); // the first lines, then warm-up of the counting path
        }
        long tid = Thread.currentThread().threadId();
        long before = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 200_000; i++) {
            fault(log);
        }
        long allocated = mx.getThreadAllocatedBytes(tid) - before;
        assertTrue(allocated < 1024, "allocated " + allocated + " bytes over 200000 counted faults");
        assertEquals(400_000, log.faults());
    }

    @Test
    void shouldSummariseUnloggedFaultsAtMostOncePerInterval() {
        long[] now = {1_000};
        FaultLog log = new FaultLog("disk0 (00:01.0)", () -> now[0]);
        for (int i = 0; i < FaultLog.FIRST_LINES + 3; i++) {
            fault(log); // 5 lines, then 3 counted; the interval starts at the first one counted
        }
        now[0] += FaultLog.SUMMARY_INTERVAL_NS - 1;
        fault(log);
        assertEquals(FaultLog.FIRST_LINES, capture.lines().size(), "not before the interval is over");
        now[0] += 1;
        fault(log);
        assertEquals("disk0 (00:01.0): 5 more guest faults, not logged", capture.lines().get(FaultLog.FIRST_LINES));
        for (int i = 0; i < 100; i++) {
            fault(log);
        }
        assertEquals(FaultLog.FIRST_LINES + 1, capture.lines().size(), "one summary per interval");
        now[0] += FaultLog.SUMMARY_INTERVAL_NS;
        fault(log);
        assertEquals("disk0 (00:01.0): 101 more guest faults, not logged",
            capture.lines().get(FaultLog.FIRST_LINES + 1));
        log.summary();
        assertEquals(FaultLog.FIRST_LINES + 2, capture.lines().size(), "nothing left for the closing summary");
    }
}
