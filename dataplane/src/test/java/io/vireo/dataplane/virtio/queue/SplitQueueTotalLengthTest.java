package io.vireo.dataplane.virtio.queue;

import io.vireo.dataplane.memory.MemfdGuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.readable;
import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.writable;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_DESC_F_NEXT;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_DESC_F_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * §2.7.5.2: a chain of 2^32 bytes or more is refused. Needs gigabytes of guest RAM in range, which a memfd mapped
 * MAP_NORESERVE gives for free: the queue checks addresses and never touches the buffers.
 */
class SplitQueueTotalLengthTest {
    private static final long GIB = 1L << 30;
    private static final long HIGH = 4 * GIB;
    private static final int SIZE = 8;

    private MemfdGuestMemory mem;
    private MockGuestDriver d;
    private SplitQueue q;
    private final DescriptorChain c = new DescriptorChain(SIZE);

    @BeforeEach
    void setUp() {
        mem = MemfdGuestMemory.allocate(8 * GIB);
        d = MockGuestDriver.linux(mem, 0x1000, SIZE);
        q = d.configure(new SplitQueue(mem, SIZE), false, false);
        assertEquals(QueueError.OK, q.enable());
    }

    @AfterEach
    void tearDown() {
        mem.close();
    }

    @Test
    void shouldAcceptChainOf2To32Minus1Bytes() {
        d.addChain(List.of(readable(HIGH, 0x8000_0000), writable(HIGH + 2 * GIB, 0x7fff_ffff)));
        d.addChain(List.of(readable(HIGH, 0xffff_ffff)));
        d.kick(false);
        assertEquals(QueueError.OK, q.popChain(c));
        assertEquals(0xffff_ffffL, c.totalReadable() + c.totalWritable());
        assertEquals(QueueError.OK, q.popChain(c));
        assertEquals(0xffff_ffffL, c.len(0), "len is a u32, not a negative int");
    }

    @Test
    void shouldRejectChainWhenTotalLengthReaches2To32() {
        for (int i = 0; i < 5; i++) {
            assertEquals(i, d.allocDesc(), "keep addChain off the raw descriptors 0..4");
        }
        d.writeDesc(0, HIGH, 0x8000_0000, VIRTQ_DESC_F_NEXT, 1);
        d.writeDesc(1, HIGH + 2 * GIB, 0x8000_0000, VIRTQ_DESC_F_WRITE, 0);
        d.submitHead(0);
        d.writeDesc(2, HIGH, 0x6000_0000, VIRTQ_DESC_F_NEXT, 3);
        d.writeDesc(3, HIGH, 0x6000_0000, VIRTQ_DESC_F_NEXT, 4);
        d.writeDesc(4, HIGH, 0x6000_0000, 0, 0);
        d.submitHead(2);
        d.addChain(List.of(readable(0x100000, 512)));
        d.kick(false);

        assertEquals(QueueError.TOTAL_LEN_OVERFLOW, q.popChain(c));
        assertEquals(0, c.headId());
        assertEquals(1L << 32, c.errorValue());
        assertEquals(QueueError.TOTAL_LEN_OVERFLOW, q.popChain(c));
        assertEquals(2, c.headId());
        assertEquals(2, c.errorIndex());
        assertEquals(QueueError.OK, q.popChain(c), "the queue goes on");
    }
}
