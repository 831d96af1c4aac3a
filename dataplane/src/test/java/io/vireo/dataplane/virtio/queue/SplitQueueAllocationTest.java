package io.vireo.dataplane.virtio.queue;

import io.vireo.dataplane.memory.GuestMemory;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.List;

import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.readable;
import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.writable;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.DATA_GPA;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.RING_GPA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The hot path allocates nothing once warm: pop, push, publish and the notification decision, with direct and
 * indirect chains and a request-level error among them. A coarse check without JMH; {@code -prof gc} is the real one.
 */
class SplitQueueAllocationTest {
    private static final int SIZE = 256;
    private static final int ROUNDS = 200_000;

    @Test
    void shouldAllocateNothingWhenPoppingAndCompletingAfterWarmup() {
        java.lang.management.ThreadMXBean base = ManagementFactory.getThreadMXBean();
        assumeTrue(base instanceof com.sun.management.ThreadMXBean, "needs HotSpot's allocation counter");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) base;
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled());
        try (Arena arena = Arena.ofConfined()) {
            GuestMemory mem = TestGuestMemory.create(arena);
            MockGuestDriver d = MockGuestDriver.linux(mem, RING_GPA, SIZE);
            SplitQueue q = d.configure(new SplitQueue(mem, SIZE), true, true);
            assertEquals(QueueError.OK, q.enable());
            int[] heads = {
                d.addChain(List.of(readable(DATA_GPA, 16), writable(DATA_GPA + 4096, 4096), writable(DATA_GPA, 1))),
                d.addIndirectChain(0x80000, List.of(readable(DATA_GPA, 16), readable(DATA_GPA + 16, 512),
                    writable(DATA_GPA + 8192, 1))),
                d.addChain(List.of(writable(DATA_GPA, 16), readable(DATA_GPA + 16, 16))),
            };
            d.kick(true);
            DescriptorChain c = new DescriptorChain(SIZE);
            long[] sink = new long[1];
            run(d, q, c, heads, ROUNDS, sink);
            long tid = Thread.currentThread().threadId();
            long before = mx.getThreadAllocatedBytes(tid);
            run(d, q, c, heads, ROUNDS, sink);
            long allocated = mx.getThreadAllocatedBytes(tid) - before;
            // A few hundred bytes of slack for a stray JIT deoptimisation; a per-chain allocation would be megabytes.
            assertTrue(allocated < 1024, "allocated " + allocated + " bytes over " + ROUNDS + " rounds");
            assertTrue(sink[0] != 0);
        }
    }

    private static void run(MockGuestDriver d, SplitQueue q, DescriptorChain c, int[] heads, int rounds,
                            long[] sink) {
        for (int i = 0; i < rounds; i++) {
            for (int head : heads) {
                d.submitHead(head);
            }
            d.kick(true);
            QueueError rc;
            while ((rc = q.popChain(c)) != QueueError.EMPTY && !rc.needsReset()) {
                sink[0] += c.totalReadable() + c.totalWritable() + rc.ordinal();
                q.pushUsed(c.headId(), 1);
            }
            if (q.publishUsed()) {
                sink[0]++;
            }
            if (!q.enableNotificationsAndCheck()) {
                q.disableNotifications();
            }
        }
    }
}
