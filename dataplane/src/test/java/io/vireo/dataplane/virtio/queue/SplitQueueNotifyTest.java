package io.vireo.dataplane.virtio.queue;

import io.vireo.dataplane.memory.GuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.util.List;

import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.readable;
import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.writable;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.DATA_GPA;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.RING_GPA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Batched publication of used elements and notification suppression both ways (§2.7.7, §2.7.10). */
class SplitQueueNotifyTest {
    private static final int SIZE = 8;

    private Arena arena;
    private GuestMemory mem;
    private MockGuestDriver d;
    private SplitQueue q;
    private final DescriptorChain c = new DescriptorChain(SIZE);

    @BeforeEach
    void setUp() {
        arena = Arena.ofConfined();
        mem = TestGuestMemory.create(arena);
        d = MockGuestDriver.linux(mem, RING_GPA, SIZE);
    }

    @AfterEach
    void tearDown() {
        arena.close();
    }

    private void enable(boolean eventIdx) {
        q = d.configure(new SplitQueue(mem, SIZE), eventIdx, false);
        assertEquals(QueueError.OK, q.enable());
    }

    /** Adds, publishes and pops {@code n} one-buffer chains; returns their heads. */
    private int[] popN(int n) {
        int[] heads = new int[n];
        for (int i = 0; i < n; i++) {
            d.addChain(List.of(writable(DATA_GPA + 8 * i, 8)));
        }
        d.kick(q.eventIdx());
        for (int i = 0; i < n; i++) {
            assertEquals(QueueError.OK, q.popChain(c));
            heads[i] = c.headId();
        }
        return heads;
    }

    @ParameterizedTest(name = "event={0} new={1} old={2} -> {3}")
    @CsvSource({
        "0, 1, 0, true",
        "1, 1, 0, false",
        "0, 0, 0, false",
        "5, 10, 3, true",
        "3, 10, 3, true",
        "9, 10, 3, true",
        "10, 10, 3, false",
        "2, 10, 3, false",
        "65535, 0, 65535, true",
        "65535, 1, 65534, true",
        "0, 1, 65535, true",
        "65534, 2, 65535, false",
        "1, 2, 65535, true",
        "2, 2, 65535, false",
        "100, 99, 99, false",
    })
    void shouldDecideNeedEventWithWraparound(int event, int newIdx, int oldIdx, boolean expected) {
        assertEquals(expected, SplitRingLayout.needEvent(event, newIdx, oldIdx));
    }

    @Test
    void shouldStoreUsedIdxOncePerBatchWhenPublishing() {
        enable(false);
        int[] heads = popN(3);
        q.pushUsed(heads[2], 3);
        q.pushUsed(heads[0], 1);
        q.pushUsed(heads[1], 2);
        assertEquals(0, d.usedIdxAcquire(), "pushUsed writes elements, not the index");
        assertNull(d.takeUsed());
        assertTrue(q.publishUsed());
        assertEquals(3, d.usedIdxAcquire());
        assertEquals(new MockGuestDriver.UsedElem(heads[2], 3), d.takeUsed(), "completion order, not pop order");
        assertEquals(new MockGuestDriver.UsedElem(heads[0], 1), d.takeUsed());
        assertEquals(new MockGuestDriver.UsedElem(heads[1], 2), d.takeUsed());
        assertFalse(q.publishUsed(), "nothing new: no store, no interrupt");
        assertEquals(3, d.usedIdxAcquire());
    }

    @Test
    void shouldRefusePushWhenNothingIsInFlight() {
        enable(false);
        int[] heads = popN(2);
        assertThrows(IllegalStateException.class, () -> q.pushUsed(SIZE, 0), "id beyond the queue");
        q.pushUsed(heads[0], 0);
        q.pushUsed(heads[1], 0);
        assertThrows(IllegalStateException.class, () -> q.pushUsed(heads[0], 0), "more completions than pops");
    }

    @Test
    void shouldInterruptUnlessNoInterruptWhenEventIdxIsOff() {
        enable(false);
        int[] heads = popN(2);
        q.pushUsed(heads[0], 0);
        assertTrue(q.publishUsed());
        d.setNoInterrupt(true);
        q.pushUsed(heads[1], 0);
        assertFalse(q.publishUsed());
        d.setNoInterrupt(false);
        popN(1);
        q.pushUsed(c.headId(), 0);
        assertTrue(q.publishUsed());
    }

    @Test
    void shouldInterruptOnlyWhenUsedEventIsCrossedWithEventIdx() {
        enable(true);
        d.setUsedEvent(0);
        int[] heads = popN(4);
        q.pushUsed(heads[0], 0);
        assertTrue(q.publishUsed(), "used_event 0 in [0, 1)");
        q.pushUsed(heads[1], 0);
        assertFalse(q.publishUsed(), "used_event 0 not in [1, 2)");
        d.setUsedEvent(3);
        q.pushUsed(heads[2], 0);
        q.pushUsed(heads[3], 0);
        assertTrue(q.publishUsed(), "used_event 3 in the batch [2, 4)");
        d.setNoInterrupt(true);
        d.setUsedEvent(4);
        popN(1);
        q.pushUsed(c.headId(), 0);
        assertTrue(q.publishUsed(), "with EVENT_IDX the NO_INTERRUPT flag is not the rule");
    }

    @Test
    void shouldHonourUsedEventWhenIndicesWrapPast65535() {
        enable(true);
        int total = 65536 + 5;
        for (int i = 0; i < total; i++) {
            d.setUsedEvent((i + 1) & 0xffff);
            popN(1);
            q.pushUsed(c.headId(), i);
            // used_event = i + 1 is only crossed by the next publication, never by this one.
            assertFalse(q.publishUsed());
            assertEquals(i & 0xffff, d.takeUsed().len() & 0xffff);
        }
        d.setUsedEvent(total & 0xffff);
        popN(1);
        q.pushUsed(c.headId(), 0);
        assertTrue(q.publishUsed());
        assertEquals((total + 1) & 0xffff, d.usedIdxAcquire());
    }

    @Test
    void shouldSuppressKicksWithNoNotifyAndCatchWorkThatRacedTheReenable() {
        enable(false);
        assertTrue(d.addChain(List.of(readable(DATA_GPA, 8))) >= 0);
        assertTrue(d.kick(false), "notifications on after enable");
        q.disableNotifications();
        assertEquals(SplitRingLayout.VIRTQ_USED_F_NO_NOTIFY, d.usedFlags());
        assertEquals(QueueError.OK, q.popChain(c));
        assertEquals(QueueError.EMPTY, q.popChain(c));
        // The guest adds a chain while the device still has notifications off: it does not kick.
        d.addChain(List.of(readable(DATA_GPA, 8)));
        assertFalse(d.kick(false));
        assertTrue(q.enableNotificationsAndCheck(), "the chain added in the window must not be slept on");
        assertEquals(0, d.usedFlags());
        assertEquals(QueueError.OK, q.popChain(c));
        assertFalse(q.enableNotificationsAndCheck());
        d.addChain(List.of(readable(DATA_GPA, 8)));
        assertTrue(d.kick(false));
    }

    @Test
    void shouldAdvanceAvailEventOnlyWhileNotificationsAreEnabledWithEventIdx() {
        enable(true);
        d.addChain(List.of(readable(DATA_GPA, 8)));
        assertTrue(d.kick(true), "avail_event 0 crossed by 0 -> 1");
        assertEquals(QueueError.OK, q.popChain(c));
        assertEquals(1, d.availEvent());
        d.addChain(List.of(readable(DATA_GPA, 8)));
        assertTrue(d.kick(true));
        q.disableNotifications();
        assertEquals(QueueError.OK, q.popChain(c));
        assertEquals(1, d.availEvent(), "not advanced while polling");
        assertEquals(0, d.usedFlags(), "EVENT_IDX does not use the flag");
        d.addChain(List.of(readable(DATA_GPA, 8)));
        d.addChain(List.of(readable(DATA_GPA, 8)));
        assertFalse(d.kick(true), "avail_event 1 is behind: no kick");
        assertTrue(q.enableNotificationsAndCheck());
        assertEquals(QueueError.OK, q.popChain(c));
        assertEquals(QueueError.OK, q.popChain(c));
        assertFalse(q.enableNotificationsAndCheck());
        assertEquals(4, d.availEvent());
        d.addChain(List.of(readable(DATA_GPA, 8)));
        assertTrue(d.kick(true), "avail_event 4 crossed by 4 -> 5");
    }

    @Test
    void shouldPopAndCompleteAcrossIndexWraparound() {
        enable(false);
        for (int i = 0; i < 70_000; i++) {
            int head = d.addChain(List.of(readable(DATA_GPA, 8), writable(DATA_GPA + 8, 4)));
            d.kick(false);
            assertEquals(QueueError.OK, q.popChain(c));
            assertEquals(head, c.headId());
            q.pushUsed(head, 4);
            assertTrue(q.publishUsed());
            MockGuestDriver.UsedElem u = d.takeUsed();
            assertEquals(head, u.id());
            assertEquals((i + 1) & 0xffff, d.usedIdxAcquire());
        }
        assertEquals(70_000 & 0xffff, q.lastAvailIdx());
        assertEquals(70_000 & 0xffff, q.nextUsedIdx());
    }
}
