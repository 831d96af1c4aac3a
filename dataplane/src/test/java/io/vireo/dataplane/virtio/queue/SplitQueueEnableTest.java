package io.vireo.dataplane.virtio.queue;

import io.vireo.dataplane.memory.GuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.util.List;

import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.readable;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.DATA_GPA;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.HIGH_GPA;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.HIGH_SIZE;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.LOW_SIZE;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.RING_GPA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §2.7 ring placement, validated once at enable; failures are queue-level codes, never exceptions. */
class SplitQueueEnableTest {
    private static final int SIZE = 256;

    private Arena arena;
    private GuestMemory mem;
    private SplitQueue q;

    @BeforeEach
    void setUp() {
        arena = Arena.ofConfined();
        mem = TestGuestMemory.create(arena);
        q = new SplitQueue(mem, SIZE);
    }

    @AfterEach
    void tearDown() {
        arena.close();
    }

    private void place(int size, long desc, long avail, long used, boolean eventIdx) {
        q.setSize(size);
        q.setDescTableGpa(desc);
        q.setAvailRingGpa(avail);
        q.setUsedRingGpa(used);
        q.setEventIdx(eventIdx);
    }

    @Test
    void shouldEnableWhenRingsAreLaidOutAsLinuxDoes() {
        MockGuestDriver d = MockGuestDriver.linux(mem, RING_GPA, SIZE);
        d.configure(q, true, true);
        assertEquals(QueueError.OK, q.enable());
        assertTrue(q.isReady());
        assertEquals(0, q.pendingCount());
    }

    @Test
    void shouldEnableWhenRingsSitInTheHighRegion() {
        MockGuestDriver d = MockGuestDriver.linux(mem, HIGH_GPA, 64);
        d.configure(q, true, false);
        assertEquals(QueueError.OK, q.enable());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 100, 512, 65536, -1})
    void shouldRejectQueueSizeWhenNotAPowerOfTwoOrAboveMax(int size) {
        place(size, RING_GPA, 0x10000, 0x20000, false);
        assertEquals(QueueError.BAD_QUEUE_SIZE, q.enable());
        assertFalse(q.isReady());
    }

    @Test
    void shouldAcceptSmallerPowerOfTwoQueueSize() {
        place(1, RING_GPA, 0x10000, 0x20000, true);
        assertEquals(QueueError.OK, q.enable());
    }

    @Test
    void shouldRejectDescTableWhenNot16ByteAligned() {
        place(SIZE, RING_GPA + 8, 0x10000, 0x20000, false);
        assertEquals(QueueError.DESC_TABLE_MISALIGNED, q.enable());
        assertEquals(RING_GPA + 8, q.brokenValue());
    }

    @Test
    void shouldRejectAvailRingWhenOdd() {
        place(SIZE, RING_GPA, 0x10001, 0x20000, false);
        assertEquals(QueueError.AVAIL_RING_MISALIGNED, q.enable());
    }

    @Test
    void shouldRejectUsedRingWhenNot4ByteAligned() {
        place(SIZE, RING_GPA, 0x10000, 0x20002, false);
        assertEquals(QueueError.USED_RING_MISALIGNED, q.enable());
    }

    @Test
    void shouldRejectDescTableWhenItRunsPastTheEndOfRam() {
        place(SIZE, LOW_SIZE - 16L * SIZE + 16, 0x10000, 0x20000, false);
        assertEquals(QueueError.DESC_TABLE_OUT_OF_RAM, q.enable());
    }

    @Test
    void shouldRejectRingsWhenInTheHoleOrAtHostileAddresses() {
        place(SIZE, LOW_SIZE, 0x10000, 0x20000, false);
        assertEquals(QueueError.DESC_TABLE_OUT_OF_RAM, q.enable());
        place(SIZE, 0xffff_ffff_ffff_f000L, 0x10000, 0x20000, false);
        assertEquals(QueueError.DESC_TABLE_OUT_OF_RAM, q.enable());
        place(SIZE, RING_GPA, Long.MAX_VALUE - 1, 0x20000, false);
        assertEquals(QueueError.AVAIL_RING_OUT_OF_RAM, q.enable());
        place(SIZE, RING_GPA, 0x10000, 0xffff_ffff_ffff_fff0L, false);
        assertEquals(QueueError.USED_RING_OUT_OF_RAM, q.enable());
    }

    @Test
    void shouldRejectAvailRingWhenUsedEventFallsOutsideRamUnderEventIdx() {
        // Without EVENT_IDX the ring is 4 + 2 * size bytes and ends exactly at the end of the high region.
        long avail = HIGH_GPA + HIGH_SIZE - SplitRingLayout.availRingSizeBytes(SIZE, false);
        place(SIZE, RING_GPA, avail, 0x20000, false);
        assertEquals(QueueError.OK, q.enable());
        place(SIZE, RING_GPA, avail, 0x20000, true);
        assertEquals(QueueError.AVAIL_RING_OUT_OF_RAM, q.enable());
    }

    @Test
    void shouldRejectUsedRingWhenAvailEventFallsOutsideRamUnderEventIdx() {
        long used = HIGH_GPA + HIGH_SIZE - SplitRingLayout.usedRingSizeBytes(SIZE, false);
        place(SIZE, RING_GPA, 0x10000, used, false);
        assertEquals(QueueError.OK, q.enable());
        place(SIZE, RING_GPA, 0x10000, used, true);
        assertEquals(QueueError.USED_RING_OUT_OF_RAM, q.enable());
    }

    @Test
    void shouldRejectRingWhenItStraddlesTwoAdjacentRegions() {
        SplitQueue q2 = new SplitQueue(TestGuestMemory.adjacent(arena), SIZE);
        q2.setSize(SIZE);
        q2.setDescTableGpa((1L << 20) - 16L * SIZE / 2);
        q2.setAvailRingGpa(0x10000);
        q2.setUsedRingGpa(0x20000);
        assertEquals(QueueError.DESC_TABLE_OUT_OF_RAM, q2.enable());
    }

    @Test
    void shouldKeepReportingFailedEnableUntilResetWhenPopped() {
        place(SIZE, RING_GPA + 8, 0x10000, 0x20000, false);
        assertEquals(QueueError.DESC_TABLE_MISALIGNED, q.enable());
        DescriptorChain c = new DescriptorChain(SIZE);
        assertEquals(QueueError.DESC_TABLE_MISALIGNED, q.popChain(c));
        assertEquals(-1, c.headId());
        q.reset();
        assertEquals(QueueError.OK, q.brokenCode());
        assertEquals(QueueError.EMPTY, q.popChain(c));
    }

    @Test
    void shouldReturnEmptyAndPublishNothingWhenNotEnabled() {
        DescriptorChain c = new DescriptorChain(SIZE);
        assertEquals(QueueError.EMPTY, q.popChain(c));
        assertEquals(0, q.pendingCount());
        assertFalse(q.publishUsed());
        assertFalse(q.enableNotificationsAndCheck());
        assertThrows(IllegalStateException.class, () -> q.pushUsed(0, 0));
    }

    @Test
    void shouldStartFromZeroAndDefaultsWhenReset() {
        MockGuestDriver d = MockGuestDriver.linux(mem, RING_GPA, 64);
        d.configure(q, false, false);
        assertEquals(QueueError.OK, q.enable());
        d.addChain(List.of(readable(DATA_GPA, 16)));
        d.kick(false);
        DescriptorChain c = new DescriptorChain(SIZE);
        assertEquals(QueueError.OK, q.popChain(c));
        q.reset();
        assertFalse(q.isReady());
        assertEquals(SIZE, q.size());
        assertEquals(0, q.lastAvailIdx());
        assertEquals(0, q.nextUsedIdx());
        assertEquals(0, q.inFlight());
        assertEquals(0, q.descTableGpa());
    }

    @Test
    void shouldRefuseBadMaxSizeWhenConstructed() {
        assertThrows(IllegalArgumentException.class, () -> new SplitQueue(mem, 48));
        assertThrows(IllegalArgumentException.class, () -> new SplitQueue(mem, 65536));
        assertThrows(IllegalArgumentException.class, () -> new DescriptorChain(0));
    }
}
