package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.virtio.device.blk.backend.BlockBackend;
import io.vireo.dataplane.virtio.device.blk.backend.BlockQueue;
import io.vireo.dataplane.virtio.device.blk.backend.CompletionSink;
import io.vireo.dataplane.virtio.device.blk.backend.IoUringBackend;
import io.vireo.dataplane.virtio.device.blk.backend.IoUringOptions;
import io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf;
import io.vireo.dataplane.virtio.queue.MockGuestDriver.UsedElem;
import io.vireo.sys.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.vireo.dataplane.virtio.device.blk.BlkRig.DATA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Submission faults (issue 18): an {@code io_uring_enter} that fails (EAGAIN, EBUSY, EINTR) leaves SQEs the kernel has
 * not taken. They are pending work, not in-flight I/O: no completion will wake the agent for them, so the queue must
 * refuse to sleep ({@code armNotifications} true) until a later submission hands them over, and every request
 * completes, each once.
 */
class SubmissionFaultTest {
    @TempDir
    Path dir;

    /** io_uring underneath; {@code submit()} fails with the given errors first, without entering the kernel. */
    private static final class FailingSubmits implements BlockBackend {
        private final BlockBackend inner;
        private final int[] failures;
        private int next;
        int injected;

        FailingSubmits(BlockBackend inner, int... failures) {
            this.inner = inner;
            this.failures = failures;
        }

        @Override
        public long sizeBytes() {
            return inner.sizeBytes();
        }

        @Override
        public boolean readOnly() {
            return inner.readOnly();
        }

        @Override
        public boolean supportsDiscard() {
            return inner.supportsDiscard();
        }

        @Override
        public String describe() {
            return "failing-submits(" + inner.describe() + ")";
        }

        @Override
        public void close() {
            inner.close();
        }

        @Override
        public BlockQueue openQueue(int depth) {
            BlockQueue q = inner.openQueue(depth);
            return new BlockQueue() {
                @Override
                public int prepareRead(int tag, long offset, MemorySegment iovecs, int iovcnt, long bytes) {
                    return q.prepareRead(tag, offset, iovecs, iovcnt, bytes);
                }

                @Override
                public int prepareWrite(int tag, long offset, MemorySegment iovecs, int iovcnt, long bytes) {
                    return q.prepareWrite(tag, offset, iovecs, iovcnt, bytes);
                }

                @Override
                public int prepareFlush(int tag) {
                    return q.prepareFlush(tag);
                }

                @Override
                public int prepareDiscard(int tag, long offset, long length) {
                    return q.prepareDiscard(tag, offset, length);
                }

                @Override
                public int prepareWriteZeroes(int tag, long offset, long length, boolean unmap) {
                    return q.prepareWriteZeroes(tag, offset, length, unmap);
                }

                @Override
                public int submit() {
                    if (next < failures.length && q.unsubmitted() > 0) {
                        injected++;
                        return -failures[next++];
                    }
                    return q.submit();
                }

                @Override
                public int reap(CompletionSink sink) {
                    return q.reap(sink);
                }

                @Override
                public int inFlight() {
                    return q.inFlight();
                }

                @Override
                public int unsubmitted() {
                    return q.unsubmitted();
                }

                @Override
                public int completionEventFd() {
                    return q.completionEventFd();
                }

                @Override
                public boolean armCompletions() {
                    return q.armCompletions();
                }

                @Override
                public void close() {
                    q.close();
                }
            };
        }
    }

    @Test
    void shouldKeepTheAgentAwakeAndCompleteEveryRequestWhenSubmissionsFail() throws IOException {
        Path img = BlkRig.disk(dir, 1L << 20);
        FailingSubmits be = new FailingSubmits(IoUringBackend.open(img, IoUringOptions.defaults()), Errno.EAGAIN,
            Errno.EBUSY, Errno.EINTR);
        try (BlkRig rig = new BlkRig(be, "sub", 0, true)) {
            PolledQueue pq = rig.dev.polledQueue(0);
            int requests = 8;
            Set<Integer> heads = new HashSet<>();
            for (int i = 0; i < requests; i++) {
                long hdr = BlkRig.HDR + 0x100 + 16L * i;
                rig.header(hdr, BlkRequest.T_IN, 8L * i);
                heads.add(rig.driver.addChain(List.of(Buf.readable(hdr, 16), Buf.writable(DATA + i * 4096L, 4096),
                    Buf.writable(BlkRig.STATUS + i, 1))));
            }
            rig.driver.kick(true);
            pq.suppressNotifications();
            int sleepsRefused = 0;
            Set<Integer> done = new HashSet<>();
            for (int round = 0; round < 100_000 && done.size() < requests; round++) {
                pq.poll();
                UsedElem u;
                while ((u = rig.driver.takeUsed()) != null) {
                    assertTrue(done.add(u.id()), "head " + u.id() + " completed twice");
                    assertEquals(4097, u.len());
                }
                if (pq.inFlight() > 0 && pq.armNotifications()) {
                    sleepsRefused++;
                    pq.suppressNotifications();
                }
            }
            assertEquals(heads, done, "every request completed");
            assertEquals(3, be.injected, "three submissions failed");
            assertTrue(sleepsRefused >= 3, "the queue refused to sleep while SQEs were left: " + sleepsRefused);
            for (int i = 0; i < requests; i++) {
                assertEquals(BlkRequest.S_OK, rig.status(BlkRig.STATUS + i));
            }
            System.out.printf("submission faults: %d injected (EAGAIN, EBUSY, EINTR), %d requests all completed once,"
                + " the agent stayed awake %d times%n", be.injected, requests, sleepsRefused);
        }
    }
}
