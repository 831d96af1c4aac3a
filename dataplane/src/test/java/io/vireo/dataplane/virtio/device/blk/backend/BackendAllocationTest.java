package io.vireo.dataplane.virtio.device.blk.backend;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Once warm, prepare/submit/reap allocate nothing: reads and writes (O_DIRECT, buffered for an unaligned buffer,
 * fixed buffers), discards, through io_uring, positional I/O, null and fault injection. As in RawCallsTest,
 * interpreted downcalls allocate, so rounds run until one allocates nothing, and the test fails only if none does.
 */
class BackendAllocationTest {
    private static final int DEPTH = 8;

    @TempDir
    Path dir;

    private final com.sun.management.ThreadMXBean mx = threads();

    private static com.sun.management.ThreadMXBean threads() {
        var base = ManagementFactory.getThreadMXBean();
        assumeTrue(base instanceof com.sun.management.ThreadMXBean, "needs HotSpot's allocation counter");
        return (com.sun.management.ThreadMXBean) base;
    }

    @Test
    void shouldNotAllocateThroughIoUring() {
        try (Rig rig = new Rig()) {
            assertNoAllocation(rig, IoUringBackend.open(Rig.image(dir, "u.img", 1 << 20), IoUringOptions.defaults()));
        }
    }

    @Test
    void shouldNotAllocateThroughIoUringWithFixedBuffersAndSqpoll() {
        try (Rig rig = new Rig()) {
            assertNoAllocation(rig, IoUringBackend.open(Rig.image(dir, "f.img", 1 << 20),
                IoUringOptions.builder().fixedBuffers(List.of(rig.ram)).sqpoll(100).build()));
        }
    }

    @Test
    void shouldNotAllocateThroughPositionalIoNullOrFaultInjection() {
        try (Rig rig = new Rig()) {
            assertNoAllocation(rig, SyncFileBackend.open(Rig.image(dir, "s.img", 1 << 20), false));
            assertNoAllocation(rig, new NullBackend(1 << 20));
            assertNoAllocation(rig, FaultInjectingBackend.of(
                IoUringBackend.open(Rig.image(dir, "x.img", 1 << 20), IoUringOptions.defaults()), "200-201"));
        }
    }

    private void assertNoAllocation(Rig rig, BlockBackend backend) {
        rig.record = false;
        try (backend; BlockQueue q = backend.openQueue(DEPTH)) {
            MemorySegment aligned = rig.iovecs(0, 4096, 8192, 4096);
            MemorySegment single = rig.iovecs(65536, 4096);
            MemorySegment unaligned = rig.iovecs(131073, 1000, 140000, 24);
            long allocated = Long.MAX_VALUE;
            long tid = Thread.currentThread().threadId();
            int round;
            for (round = 0; round < 40 && allocated > 0; round++) {
                long before = mx.getThreadAllocatedBytes(tid);
                loop(rig, q, aligned, single, unaligned, 2_000);
                allocated = mx.getThreadAllocatedBytes(tid) - before;
            }
            assertEquals(0, allocated, backend.describe() + ": bytes allocated by 2000 batches in round " + round);
            for (int tag = 0; tag < 6; tag++) {
                assertTrue(rig.results[tag] == 0 || rig.results[tag] == -io.vireo.sys.Errno.EIO,
                    "tag " + tag + ": " + rig.results[tag]);
            }
        }
    }

    private static void loop(Rig rig, BlockQueue q, MemorySegment aligned, MemorySegment single,
        MemorySegment unaligned, int batches) {
        for (int i = 0; i < batches; i++) {
            q.prepareWrite(0, 0, aligned, 2, 8192);
            q.prepareRead(1, 16384, aligned, 2, 8192);
            q.prepareRead(2, 32768, single, 1, 4096);
            q.prepareWrite(3, 512 * 200, single, 1, 4096);
            q.prepareRead(4, 49152, unaligned, 2, 1024);
            q.prepareDiscard(5, 65536 + 4096L * (i & 7), 4096);
            q.submit();
            while (q.inFlight() > 0) {
                q.reap(rig);
            }
        }
    }
}
