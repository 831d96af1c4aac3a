package io.vireo.dataplane.virtio.queue;

import io.vireo.dataplane.memory.GuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.List;

import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.readable;
import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.writable;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_DESC_F_INDIRECT;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_DESC_F_NEXT;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_DESC_F_WRITE;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.DATA_GPA;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.HIGH_GPA;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.HIGH_SIZE;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.LOW_SIZE;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.RING_GPA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Chain walking (§2.7.4, §2.7.5): well-formed chains resolve; each spec MUST on a chain gets its own request-level
 * code, the chain is consumed and completable, and the next good chain still pops.
 */
class SplitQueuePopTest {
    private static final int SIZE = 16;
    private static final int NEXT = VIRTQ_DESC_F_NEXT;
    private static final int WRITE = VIRTQ_DESC_F_WRITE;
    private static final int INDIRECT = VIRTQ_DESC_F_INDIRECT;
    private static final long TABLE_GPA = 0x80000;

    private Arena arena;
    private GuestMemory mem;
    private MockGuestDriver d;
    private SplitQueue q;
    private DescriptorChain c;

    @BeforeEach
    void setUp() {
        arena = Arena.ofConfined();
        mem = TestGuestMemory.create(arena);
        d = MockGuestDriver.linux(mem, RING_GPA, SIZE);
        q = d.configure(new SplitQueue(mem, SIZE), false, true);
        assertEquals(QueueError.OK, q.enable());
        c = new DescriptorChain(SIZE);
    }

    @AfterEach
    void tearDown() {
        arena.close();
    }

    /**
     * Pops the raw chain at {@code head}, expects {@code code}, completes it, then proves the queue goes on. Returns
     * the error's guest value.
     */
    private long assertRequestErrorAndQueueGoesOn(int head, QueueError code) {
        d.submitHead(head);
        d.kick(false);
        assertEquals(code, q.popChain(c));
        assertTrue(code.isRequestError());
        assertEquals(head, c.headId(), "a request-level error still names the head to complete");
        assertEquals(code, c.error());
        long value = c.errorValue();
        q.pushUsed(c.headId(), 0);
        assertTrue(q.publishUsed());
        MockGuestDriver.UsedElem u = d.takeUsed();
        assertEquals(head, u.id());
        assertEquals(0, u.len());

        int good = d.addChain(List.of(readable(DATA_GPA, 64), writable(DATA_GPA + 64, 1)));
        d.kick(false);
        assertEquals(QueueError.OK, q.popChain(c));
        assertEquals(good, c.headId());
        assertEquals(2, c.count());
        assertEquals(QueueError.OK, q.brokenCode());
        return value;
    }

    @Test
    void shouldResolveDirectChainWhenWellFormed() {
        int head = d.addChain(List.of(readable(DATA_GPA, 16), readable(HIGH_GPA, 4096), writable(DATA_GPA + 4096, 512),
            writable(DATA_GPA + 8192, 1)));
        assertEquals(0, q.pendingCount(), "not published yet");
        d.kick(false);
        assertEquals(1, q.pendingCount());
        assertEquals(QueueError.OK, q.popChain(c));
        assertEquals(head, c.headId());
        assertEquals(4, c.count());
        assertEquals(2, c.readableCount());
        assertEquals(2, c.writableCount());
        assertEquals(16 + 4096, c.totalReadable());
        assertEquals(513, c.totalWritable());
        assertEquals(HIGH_GPA, c.addr(1));
        assertEquals(4096, c.len(1));
        assertFalse(c.isWritable(1));
        assertTrue(c.isWritable(2));
        assertEquals(0, c.regionOffset(1));
        assertEquals(DATA_GPA + 8192, c.regionOffset(3));
        assertEquals(QueueError.EMPTY, q.popChain(c));
        assertEquals(1, q.inFlight());
    }

    @Test
    void shouldResolveReadableOnlyAndWritableOnlyChains() {
        d.addChain(List.of(readable(DATA_GPA, 8)));
        d.addChain(List.of(writable(DATA_GPA, 8), writable(DATA_GPA + 8, 8)));
        d.kick(false);
        assertEquals(QueueError.OK, q.popChain(c));
        assertEquals(1, c.readableCount());
        assertEquals(QueueError.OK, q.popChain(c));
        assertEquals(0, c.readableCount());
        assertEquals(16, c.totalWritable());
    }

    @Test
    void shouldAcceptChainOfExactlyQueueSizeDescriptors() {
        for (int i = 0; i < SIZE; i++) {
            d.writeDesc(i, DATA_GPA + i * 16L, 16, i == SIZE - 1 ? 0 : NEXT, i + 1);
        }
        d.submitHead(0);
        d.kick(false);
        assertEquals(QueueError.OK, q.popChain(c));
        assertEquals(SIZE, c.count());
    }

    @Test
    void shouldAcceptZeroLengthDescriptorInsideRam() {
        d.writeDesc(0, DATA_GPA, 0, 0, 0);
        d.submitHead(0);
        d.kick(false);
        assertEquals(QueueError.OK, q.popChain(c));
        assertEquals(0, c.len(0));
    }

    // ---------------------------------------------------------------- §2.7.5 buffers in RAM

    @Test
    void shouldRejectDescriptorWhenBufferIsOutsideRam() {
        d.writeDesc(3, LOW_SIZE + 4096, 16, 0, 0);
        assertEquals(LOW_SIZE + 4096, assertRequestErrorAndQueueGoesOn(3, QueueError.DESC_OUT_OF_RAM));
    }

    @Test
    void shouldRejectDescriptorWhenBufferCrossesTheEndOfARegion() {
        d.writeDesc(3, HIGH_GPA + HIGH_SIZE - 8, 16, 0, 0);
        assertRequestErrorAndQueueGoesOn(3, QueueError.DESC_OUT_OF_RAM);
    }

    @Test
    void shouldRejectDescriptorWhenAddressPlusLengthOverflows() {
        d.writeDesc(3, 0xffff_ffff_ffff_fff0L, 0x100, 0, 0);
        assertRequestErrorAndQueueGoesOn(3, QueueError.DESC_OUT_OF_RAM);
        d.writeDesc(4, DATA_GPA, 0xffff_ffff, 0, 0);
        assertRequestErrorAndQueueGoesOn(4, QueueError.DESC_OUT_OF_RAM);
    }

    @Test
    void shouldReportErrorDetailWhenSecondDescriptorIsBad() {
        d.writeDesc(5, DATA_GPA, 16, NEXT, 6);
        d.writeDesc(6, 0x7000_0000_0000L, 16, WRITE, 0);
        d.submitHead(5);
        d.kick(false);
        assertEquals(QueueError.DESC_OUT_OF_RAM, q.popChain(c));
        assertEquals(1, c.errorIndex());
        assertEquals(0x7000_0000_0000L, c.errorValue());
        assertEquals(1, c.count(), "only the validated prefix is kept");
        assertTrue(c.error().describe().contains("virtio 1.2 §2.7.5"));
    }

    // ---------------------------------------------------------------- §2.7.5 / §2.7.5.2 chain shape

    @Test
    void shouldRejectNextWhenNotBelowQueueSize() {
        d.writeDesc(2, DATA_GPA, 16, NEXT, SIZE);
        assertEquals(SIZE, assertRequestErrorAndQueueGoesOn(2, QueueError.NEXT_OUT_OF_RANGE));
    }

    @Test
    void shouldRejectNextWhenFarBeyondQueueSize() {
        d.writeDesc(2, DATA_GPA, 16, NEXT, 0xffff);
        assertRequestErrorAndQueueGoesOn(2, QueueError.NEXT_OUT_OF_RANGE);
    }

    @Test
    void shouldDetectLoopWhenChainPointsBackToItsHead() {
        d.writeDesc(7, DATA_GPA, 16, NEXT, 8);
        d.writeDesc(8, DATA_GPA, 16, NEXT, 7);
        assertRequestErrorAndQueueGoesOn(7, QueueError.CHAIN_LOOP);
    }

    @Test
    void shouldDetectLoopWhenDescriptorPointsToItself() {
        d.writeDesc(9, DATA_GPA, 16, NEXT, 9);
        assertRequestErrorAndQueueGoesOn(9, QueueError.CHAIN_LOOP);
    }

    @Test
    void shouldRejectChainWhenLongerThanTheDevicesChainCapacity() {
        c = new DescriptorChain(2);
        d.writeDesc(10, DATA_GPA, 16, NEXT, 11);
        d.writeDesc(11, DATA_GPA, 16, NEXT, 12);
        d.writeDesc(12, DATA_GPA, 16, 0, 0);
        assertRequestErrorAndQueueGoesOn(10, QueueError.CHAIN_TOO_LONG);
    }

    @Test
    void shouldRejectReadableDescriptorWhenItFollowsAWritableOne() {
        d.writeDesc(4, DATA_GPA, 16, NEXT, 5);
        d.writeDesc(5, DATA_GPA + 16, 16, NEXT | WRITE, 6);
        d.writeDesc(6, DATA_GPA + 32, 16, 0, 0);
        assertEquals(6, assertRequestErrorAndQueueGoesOn(4, QueueError.WRITABLE_BEFORE_READABLE),
            "names the offending descriptor");
    }

    // ---------------------------------------------------------------- §2.7.5.3 indirect tables

    private void indirectTable(int entries) {
        for (int i = 0; i < entries; i++) {
            d.writeTableDesc(TABLE_GPA, i, DATA_GPA + i * 64L, 64, i == entries - 1 ? WRITE : NEXT, i + 1);
        }
    }

    @Test
    void shouldResolveIndirectChain() {
        int head = d.addIndirectChain(TABLE_GPA, List.of(readable(DATA_GPA, 16), readable(HIGH_GPA, 100),
            writable(DATA_GPA + 4096, 1)));
        d.kick(false);
        assertEquals(QueueError.OK, q.popChain(c));
        assertEquals(head, c.headId());
        assertEquals(3, c.count());
        assertEquals(HIGH_GPA, c.addr(1));
        assertEquals(116, c.totalReadable());
        assertEquals(1, c.totalWritable());
    }

    @Test
    void shouldResolveDirectDescriptorsFollowedByAnIndirectOne() {
        // §2.7.5.3.2: zero or more normal descriptors followed by a single indirect one. The WRITE flag on the
        // descriptor that refers to the table is ignored.
        indirectTable(3);
        d.writeDesc(0, DATA_GPA + 4096, 32, NEXT, 1);
        d.writeDesc(1, TABLE_GPA, 3 * 16, INDIRECT | WRITE, 0);
        d.submitHead(0);
        d.kick(false);
        assertEquals(QueueError.OK, q.popChain(c));
        assertEquals(4, c.count());
        assertEquals(3, c.readableCount());
        assertEquals(DATA_GPA + 4096, c.addr(0));
        assertEquals(DATA_GPA + 64, c.addr(2));
    }

    @Test
    void shouldRejectIndirectWhenFeatureNotNegotiated() {
        q.reset();
        d.configure(q, false, false);
        assertEquals(QueueError.OK, q.enable());
        indirectTable(2);
        d.writeDesc(3, TABLE_GPA, 32, INDIRECT, 0);
        assertRequestErrorAndQueueGoesOn(3, QueueError.INDIRECT_NOT_NEGOTIATED);
    }

    @Test
    void shouldRejectIndirectTableWhenLengthIsNotAMultipleOf16() {
        indirectTable(2);
        d.writeDesc(3, TABLE_GPA, 24, INDIRECT, 0);
        assertRequestErrorAndQueueGoesOn(3, QueueError.INDIRECT_BAD_LEN);
    }

    @Test
    void shouldRejectIndirectTableWhenLengthIsZero() {
        d.writeDesc(3, TABLE_GPA, 0, INDIRECT, 0);
        assertRequestErrorAndQueueGoesOn(3, QueueError.INDIRECT_BAD_LEN);
    }

    @Test
    void shouldRejectIndirectTableWhenOutsideRam() {
        d.writeDesc(3, LOW_SIZE - 16, 32, INDIRECT, 0);
        assertRequestErrorAndQueueGoesOn(3, QueueError.INDIRECT_OUT_OF_RAM);
        d.writeDesc(4, 0xffff_ffff_ffff_fff0L, 0xffff_fff0, INDIRECT, 0);
        assertRequestErrorAndQueueGoesOn(4, QueueError.INDIRECT_OUT_OF_RAM);
    }

    @Test
    void shouldRejectIndirectDescriptorWhenInsideAnIndirectTable() {
        d.writeTableDesc(TABLE_GPA, 0, DATA_GPA, 16, NEXT, 1);
        d.writeTableDesc(TABLE_GPA, 1, TABLE_GPA + 0x100, 32, INDIRECT, 0);
        d.writeDesc(3, TABLE_GPA, 32, INDIRECT, 0);
        assertRequestErrorAndQueueGoesOn(3, QueueError.INDIRECT_NESTED);
    }

    @Test
    void shouldRejectIndirectDescriptorWhenNextIsAlsoSet() {
        indirectTable(2);
        d.writeDesc(3, TABLE_GPA, 32, INDIRECT | NEXT, 4);
        d.writeDesc(4, DATA_GPA, 16, WRITE, 0);
        assertRequestErrorAndQueueGoesOn(3, QueueError.INDIRECT_WITH_NEXT);
    }

    @Test
    void shouldRejectIndirectNextWhenNotBelowTableEntries() {
        d.writeTableDesc(TABLE_GPA, 0, DATA_GPA, 16, NEXT, 1);
        d.writeTableDesc(TABLE_GPA, 1, DATA_GPA, 16, NEXT, 2);
        // A third entry exists in memory, but the table is two entries long.
        d.writeTableDesc(TABLE_GPA, 2, DATA_GPA, 16, 0, 0);
        d.writeDesc(3, TABLE_GPA, 32, INDIRECT, 0);
        assertRequestErrorAndQueueGoesOn(3, QueueError.NEXT_OUT_OF_RANGE);
    }

    @Test
    void shouldDetectLoopWhenInsideIndirectTable() {
        d.writeTableDesc(TABLE_GPA, 0, DATA_GPA, 16, NEXT, 1);
        d.writeTableDesc(TABLE_GPA, 1, DATA_GPA, 16, NEXT, 0);
        d.writeDesc(3, TABLE_GPA, 32, INDIRECT, 0);
        assertRequestErrorAndQueueGoesOn(3, QueueError.CHAIN_LOOP);
    }

    @Test
    void shouldRejectIndirectChainWhenLongerThanQueueSize() {
        indirectTable(SIZE + 1);
        d.writeDesc(3, TABLE_GPA, (SIZE + 1) * 16, INDIRECT, 0);
        assertRequestErrorAndQueueGoesOn(3, QueueError.CHAIN_TOO_LONG);
    }

    @Test
    void shouldRejectIndirectBufferWhenOutsideRam() {
        d.writeTableDesc(TABLE_GPA, 0, DATA_GPA, 16, NEXT, 1);
        d.writeTableDesc(TABLE_GPA, 1, HIGH_GPA + HIGH_SIZE, 16, WRITE, 0);
        d.writeDesc(3, TABLE_GPA, 32, INDIRECT, 0);
        assertRequestErrorAndQueueGoesOn(3, QueueError.DESC_OUT_OF_RAM);
    }

    @Test
    void shouldRejectIndirectReadableWhenItFollowsAWritableOne() {
        d.writeTableDesc(TABLE_GPA, 0, DATA_GPA, 16, NEXT | WRITE, 1);
        d.writeTableDesc(TABLE_GPA, 1, DATA_GPA, 16, 0, 0);
        d.writeDesc(3, TABLE_GPA, 32, INDIRECT, 0);
        assertRequestErrorAndQueueGoesOn(3, QueueError.WRITABLE_BEFORE_READABLE);
    }

    // ---------------------------------------------------------------- queue-level corruption

    @Test
    void shouldReportCorruptQueueWhenAvailIdxJumpsByMoreThanSize() {
        d.setAvailIdxRelease(SIZE + 1);
        QueueError rc = q.popChain(c);
        assertEquals(QueueError.AVAIL_IDX_CORRUPT, rc);
        assertTrue(rc.needsReset());
        assertEquals(-1, c.headId());
        assertEquals(SIZE + 1, q.brokenValue());
        assertEquals(QueueError.AVAIL_IDX_CORRUPT, q.popChain(c), "sticky until reset");
        d.setAvailIdxRelease(0);
        assertEquals(QueueError.AVAIL_IDX_CORRUPT, q.popChain(c), "even if the guest puts it back");
    }

    @Test
    void shouldReportCorruptQueueWhenAvailIdxMovesBackwards() {
        d.addChain(List.of(readable(DATA_GPA, 8)));
        d.kick(false);
        assertEquals(QueueError.OK, q.popChain(c));
        d.setAvailIdxRelease(0);
        assertEquals(QueueError.AVAIL_IDX_CORRUPT, q.popChain(c), "0 - 1 is 65535 chains ahead");
    }

    @Test
    void shouldAcceptAvailIdxThatMovesByExactlySize() {
        for (int i = 0; i < SIZE; i++) {
            d.addChain(List.of(readable(DATA_GPA, 8)));
        }
        d.kick(false);
        assertEquals(SIZE, q.pendingCount());
        for (int i = 0; i < SIZE; i++) {
            assertEquals(QueueError.OK, q.popChain(c));
        }
        assertEquals(QueueError.EMPTY, q.popChain(c));
    }

    @Test
    void shouldReportCorruptQueueWhenHeadIsNotBelowQueueSize() {
        d.submitHead(SIZE);
        d.kick(false);
        assertEquals(QueueError.HEAD_OUT_OF_RANGE, q.popChain(c));
        assertEquals(SIZE, q.brokenValue());
        assertEquals(0, q.inFlight(), "nothing to complete");
        assertEquals(QueueError.HEAD_OUT_OF_RANGE, q.popChain(c));
    }

    @Test
    void shouldWorkAgainWhenResetAndReenabledAfterCorruption() {
        d.submitHead(0xffff);
        d.kick(false);
        assertEquals(QueueError.HEAD_OUT_OF_RANGE, q.popChain(c));
        q.reset();
        d = MockGuestDriver.linux(mem, RING_GPA, SIZE);
        d.configure(q, false, true);
        assertEquals(QueueError.OK, q.enable());
        int head = d.addChain(List.of(readable(DATA_GPA, 8)));
        d.kick(false);
        assertEquals(QueueError.OK, q.popChain(c));
        assertEquals(head, c.headId());
    }

    @Test
    void shouldUseTheValidatedCopyWhenGuestRewritesDescriptorsAfterPop() {
        int head = d.addChain(List.of(readable(DATA_GPA, 16)));
        d.kick(false);
        assertEquals(QueueError.OK, q.popChain(c));
        d.writeDesc(head, 0xdead_0000_0000L, 0x1000_0000, 0, 0);
        assertEquals(DATA_GPA, c.addr(0));
        assertEquals(16, c.len(0));
    }
}
