package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.virtio.device.blk.backend.BlockQueue;
import io.vireo.dataplane.virtio.device.blk.backend.CompletionSink;
import io.vireo.dataplane.virtio.queue.MockGuestDriver.UsedElem;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

import static io.vireo.dataplane.virtio.device.blk.BlkRig.DATA;
import static io.vireo.dataplane.virtio.device.blk.BlkRig.HDR;
import static io.vireo.dataplane.virtio.device.blk.BlkRig.LE_INT;
import static io.vireo.dataplane.virtio.device.blk.BlkRig.LE_LONG;
import static io.vireo.dataplane.virtio.device.blk.BlkRig.STATUS;
import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.readable;
import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.writable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The device over an asynchronous back end (completions when the test says, in any order), DISCARD and WRITE_ZEROES
 * (§5.2.6.2), and the write cache switch (CONFIG_WCE, §5.2.5).
 */
class VirtioBlkAsyncTest {
    private static final int DISK = 1 << 20;

    /** Completes nothing until {@link #release}: then in the order given. Records what reached it. */
    static final class DeferredBackend extends HeapBackend {
        final List<String> ops = new ArrayList<>();
        final Deque<int[]> pending = new ArrayDeque<>();

        DeferredBackend() {
            super(new byte[DISK]);
        }

        @Override
        public BlockQueue openQueue(int depth) {
            BlockQueue sync = super.openQueue(depth);
            return new BlockQueue() {
                private int record(String op, int tag, int rc) {
                    ops.add(op + ":" + tag);
                    // The synchronous queue did the work; hold its completion back.
                    sync.reap((t, r) -> pending.add(new int[] {t, r}));
                    return rc;
                }

                @Override
                public int prepareRead(int tag, long offset, MemorySegment iovecs, int iovcnt, long bytes) {
                    return record("read", tag, sync.prepareRead(tag, offset, iovecs, iovcnt, bytes));
                }

                @Override
                public int prepareWrite(int tag, long offset, MemorySegment iovecs, int iovcnt, long bytes) {
                    return record("write", tag, sync.prepareWrite(tag, offset, iovecs, iovcnt, bytes));
                }

                @Override
                public int prepareFlush(int tag) {
                    return record("flush", tag, sync.prepareFlush(tag));
                }

                @Override
                public int prepareDiscard(int tag, long offset, long length) {
                    return record("discard", tag, sync.prepareDiscard(tag, offset, length));
                }

                @Override
                public int prepareWriteZeroes(int tag, long offset, long length, boolean unmap) {
                    return record("zeroes" + (unmap ? "+unmap" : ""), tag,
                        sync.prepareWriteZeroes(tag, offset, length, unmap));
                }

                @Override
                public int submit() {
                    return 0;
                }

                @Override
                public int reap(CompletionSink sink) {
                    int n = 0;
                    while (!releasable.isEmpty()) {
                        int[] c = releasable.poll();
                        sink.complete(c[0], c[1]);
                        n++;
                    }
                    return n;
                }

                @Override
                public int inFlight() {
                    return pending.size() + releasable.size();
                }

                @Override
                public int completionEventFd() {
                    return -1;
                }

                @Override
                public void close() {
                }
            };
        }

        final Deque<int[]> releasable = new ArrayDeque<>();

        /** Lets the completions of {@code tags} through, in this order, at the next poll. */
        void release(int... tags) {
            for (int tag : tags) {
                int[] c = pending.stream().filter(p -> p[0] == tag).findFirst().orElseThrow();
                pending.remove(c);
                releasable.add(c);
            }
        }

        void releaseAll() {
            releasable.addAll(pending);
            pending.clear();
        }
    }

    private static int rangeRequest(BlkRig rig, long gpa, int type, long sector, int sectors, int flags, int segs) {
        rig.header(HDR, type, 0);
        for (int s = 0; s < segs; s++) {
            MemorySegment seg = rig.at(gpa + 16L * s, 16);
            seg.set(LE_LONG, 0, sector);
            seg.set(LE_INT, 8, sectors);
            seg.set(LE_INT, 12, flags);
        }
        rig.poisonStatus(STATUS);
        return rig.driver.addChain(List.of(readable(HDR, 16), readable(gpa, 16 * segs), writable(STATUS, 1)));
    }

    @Test
    void shouldCompleteOutOfOrderAsTheBackEndFinishes() {
        DeferredBackend be = new DeferredBackend();
        try (BlkRig rig = new BlkRig(be)) {
            Arrays.fill(be.disk, 0, 4096, (byte) 0x33);
            int a = rig.add(BlkRequest.T_IN, 0, DATA, 512, true);
            rig.header(HDR + 0x100, BlkRequest.T_IN, 1);
            int b = rig.driver.addChain(List.of(readable(HDR + 0x100, 16), writable(DATA + 4096, 512),
                writable(STATUS + 1, 1)));
            rig.driver.kick(true);
            rig.dev.polledQueue(0).poll();
            assertNull(rig.driver.takeUsed(), "nothing completes before the back end does");
            assertEquals(List.of("read:" + a, "read:" + b), be.ops);
            be.release(b);
            rig.dev.polledQueue(0).poll();
            UsedElem first = rig.driver.takeUsed();
            assertEquals(b, first.id(), "the second request completed first");
            assertEquals(513, first.len());
            assertNull(rig.driver.takeUsed());
            be.release(a);
            rig.dev.polledQueue(0).poll();
            assertEquals(a, rig.driver.takeUsed().id());
            assertEquals(BlkRequest.S_OK, rig.status(STATUS));
            assertEquals(BlkRequest.S_OK, rig.status(STATUS + 1));
            assertEquals(2, rig.dev.reads());
        }
    }

    @Test
    void shouldDropCompletionsOfRequestsInFlightAtReset() {
        DeferredBackend be = new DeferredBackend();
        try (BlkRig rig = new BlkRig(be)) {
            rig.add(BlkRequest.T_IN, 0, DATA, 512, true);
            rig.driver.kick(true);
            rig.dev.polledQueue(0).poll();
            be.releaseAll();
            rig.dev.reset();
            assertEquals(0x5a, rig.status(STATUS), "no status written after the driver reset the device");
            assertNull(rig.driver.takeUsed(), "no used entry either");
            assertEquals(0, rig.dev.reads());
        }
    }

    @Test
    void shouldFlushAfterEachWriteOnceTheDriverTurnsTheWriteCacheOff() {
        DeferredBackend be = new DeferredBackend();
        try (BlkRig rig = new BlkRig(be)) {
            rig.dev.writeConfig(BlkConfigLayout.WRITEBACK_OFFSET, 1, 0);
            int w = rig.add(BlkRequest.T_OUT, 8, DATA, 512, false);
            rig.driver.kick(true);
            rig.dev.polledQueue(0).poll();
            be.releaseAll();
            rig.dev.polledQueue(0).poll();
            assertNull(rig.driver.takeUsed(), "write-through: not complete before its flush");
            assertEquals(List.of("write:" + w, "flush:" + w), be.ops);
            be.releaseAll();
            rig.dev.polledQueue(0).poll();
            assertEquals(w, rig.driver.takeUsed().id());
            assertEquals(BlkRequest.S_OK, rig.status(STATUS));
            rig.dev.writeConfig(BlkConfigLayout.WRITEBACK_OFFSET, 1, 1);
            int w2 = rig.add(BlkRequest.T_OUT, 8, DATA, 512, false);
            rig.driver.kick(true);
            rig.dev.polledQueue(0).poll();
            be.releaseAll();
            rig.dev.polledQueue(0).poll();
            assertEquals(w2, rig.driver.takeUsed().id(), "write-back again: no flush");
            assertEquals(3, be.ops.size());
        }
    }

    @Test
    void shouldDiscardAndWriteZeroesTheirRange() {
        DeferredBackend be = new DeferredBackend();
        try (BlkRig rig = new BlkRig(be)) {
            Arrays.fill(be.disk, (byte) 0x77);
            int d = rangeRequest(rig, DATA, BlkRequest.T_DISCARD, 8, 8, 0, 1);
            rig.driver.kick(true);
            rig.dev.polledQueue(0).poll();
            be.releaseAll();
            rig.dev.polledQueue(0).poll();
            UsedElem u = rig.driver.takeUsed();
            assertEquals(d, u.id());
            assertEquals(1, u.len());
            assertEquals(BlkRequest.S_OK, rig.status(STATUS));
            int z = rangeRequest(rig, DATA, BlkRequest.T_WRITE_ZEROES, 32, 1, BlkRequest.RANGE_FLAG_UNMAP, 1);
            rig.driver.kick(true);
            rig.dev.polledQueue(0).poll();
            be.releaseAll();
            rig.dev.polledQueue(0).poll();
            assertEquals(z, rig.driver.takeUsed().id());
            assertEquals(List.of("discard:" + d, "zeroes+unmap:" + z), be.ops);
            byte[] want = new byte[DISK];
            Arrays.fill(want, (byte) 0x77);
            Arrays.fill(want, 8 * 512, 16 * 512, (byte) 0);
            Arrays.fill(want, 32 * 512, 33 * 512, (byte) 0);
            assertArrayEquals(want, be.disk);
            assertEquals(1, rig.dev.discards());
            assertEquals(1, rig.dev.writeZeroes());
        }
    }

    @Test
    void shouldRefuseBadRangesWithoutTouchingTheDisk() {
        DeferredBackend be = new DeferredBackend();
        try (BlkRig rig = new BlkRig(be)) {
            long capacity = DISK / 512;
            // §5.2.6.2: unmap is reserved in DISCARD (UNSUPP); two segments when max_discard_seg is 1, a range past
            // the capacity, num_sectors past max_write_zeroes_sectors, an unknown flag: each refused, queue goes on.
            int[][] cases = {
                {BlkRequest.T_DISCARD, 0, 8, BlkRequest.RANGE_FLAG_UNMAP, 1, BlkRequest.S_UNSUPP},
                {BlkRequest.T_DISCARD, 0, 8, 0, 2, BlkRequest.S_IOERR},
                {BlkRequest.T_DISCARD, (int) capacity - 4, 8, 0, 1, BlkRequest.S_IOERR},
                {BlkRequest.T_WRITE_ZEROES, 0, (int) VirtioBlkDevice.MAX_RANGE_SECTORS + 1, 0, 1, BlkRequest.S_IOERR},
                {BlkRequest.T_WRITE_ZEROES, 0, 8, 2, 1, BlkRequest.S_UNSUPP},
            };
            for (int[] c : cases) {
                int head = rangeRequest(rig, DATA, c[0], c[1], c[2], c[3], c[4]);
                rig.driver.kick(true);
                rig.dev.polledQueue(0).poll();
                UsedElem u = rig.driver.takeUsed();
                assertEquals(head, u.id(), Arrays.toString(c));
                assertEquals(c[5], rig.status(STATUS), Arrays.toString(c));
            }
            assertTrue(be.ops.isEmpty(), "nothing reached the back end: " + be.ops);
            assertEquals(0, rig.dev.discards() + rig.dev.writeZeroes());
        }
    }

    @Test
    void shouldReadBackZerosInGuestMemoryAfterWriteZeroes() {
        DeferredBackend be = new DeferredBackend();
        try (BlkRig rig = new BlkRig(be)) {
            Arrays.fill(be.disk, (byte) 0x11);
            rangeRequest(rig, DATA, BlkRequest.T_WRITE_ZEROES, 0, 2, 0, 1);
            rig.driver.kick(true);
            rig.dev.polledQueue(0).poll();
            be.releaseAll();
            rig.dev.polledQueue(0).poll();
            rig.driver.takeUsed();
            rig.at(DATA + 8192, 1024).fill((byte) 0x5a);
            rig.add(BlkRequest.T_IN, 0, DATA + 8192, 1024, true);
            rig.driver.kick(true);
            rig.dev.polledQueue(0).poll();
            be.releaseAll();
            rig.dev.polledQueue(0).poll();
            rig.driver.takeUsed();
            assertArrayEquals(new byte[1024], rig.at(DATA + 8192, 1024).toArray(ValueLayout.JAVA_BYTE));
        }
    }
}
