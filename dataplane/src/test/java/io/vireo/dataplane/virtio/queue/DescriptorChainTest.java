package io.vireo.dataplane.virtio.queue;

import io.vireo.dataplane.memory.GuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.readable;
import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.writable;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.DATA_GPA;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.HIGH_GPA;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.RING_GPA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Access to a popped chain's buffers: inside each descriptor only, and never writing a device-readable one. */
class DescriptorChainTest {
    private Arena arena;
    private GuestMemory mem;
    private DescriptorChain c;

    @BeforeEach
    void setUp() {
        arena = Arena.ofConfined();
        mem = TestGuestMemory.create(arena);
        MockGuestDriver d = MockGuestDriver.linux(mem, RING_GPA, 16);
        SplitQueue q = d.configure(new SplitQueue(mem, 16), true, true);
        assertEquals(QueueError.OK, q.enable());
        for (int i = 0; i < 16; i++) {
            mem.write(DATA_GPA + i, new byte[] {(byte) i});
        }
        mem.write(HIGH_GPA, new byte[] {100, 101, 102, 103, 104, 105, 106, 107});
        // A 12-byte "header" split 5 + 7 across two regions, then two writable buffers.
        d.addChain(List.of(readable(DATA_GPA, 5), readable(HIGH_GPA, 7), writable(DATA_GPA + 0x1000, 3),
            writable(DATA_GPA + 0x2000, 1)));
        d.kick(true);
        c = new DescriptorChain(16);
        assertEquals(QueueError.OK, q.popChain(c));
    }

    @AfterEach
    void tearDown() {
        arena.close();
    }

    @Test
    void shouldGatherReadableBytesAcrossDescriptorBoundaries() {
        MemorySegment dst = arena.allocate(16);
        assertEquals(12, c.gatherReadable(0, dst, 0, 16), "short: only 12 readable bytes");
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 100, 101, 102, 103, 104, 105, 106},
            dst.asSlice(0, 12).toArray(ValueLayout.JAVA_BYTE));
        assertEquals(4, c.gatherReadable(3, dst, 0, 4));
        assertArrayEquals(new byte[] {3, 4, 100, 101}, dst.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE));
        assertEquals(0, c.gatherReadable(12, dst, 0, 4));
    }

    @Test
    void shouldScatterIntoWritableDescriptorsOnly() {
        MemorySegment src = arena.allocate(4);
        src.copyFrom(MemorySegment.ofArray(new byte[] {9, 8, 7, 6}));
        assertEquals(4, c.scatterWritable(0, src, 0, 4));
        assertArrayEquals(new byte[] {9, 8, 7}, mem.read(DATA_GPA + 0x1000, 3));
        assertArrayEquals(new byte[] {6}, mem.read(DATA_GPA + 0x2000, 1));
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4}, mem.read(DATA_GPA, 5), "readable part untouched");
    }

    @Test
    void shouldReadAndWriteWithinOneDescriptor() {
        assertEquals(102, c.getByte(1, 2));
        assertEquals(0x03020100, c.getIntLE(0, 0));
        c.putByte(3, 0, (byte) 0x55);
        assertArrayEquals(new byte[] {0x55}, mem.read(DATA_GPA + 0x2000, 1));
        byte[] b = new byte[7];
        c.readBytes(1, 0, b, 0, 7);
        assertEquals(106, b[6]);
        assertEquals(5, c.segment(0).byteSize());
        assertEquals(mem.region(0).segment().address() + DATA_GPA + 0x1000, c.hostAddress(2));
    }

    @Test
    void shouldRefuseAccessPastTheDescriptorWhenDeviceAsksForIt() {
        assertThrows(IndexOutOfBoundsException.class, () -> c.getIntLE(0, 2), "5-byte buffer");
        assertThrows(IndexOutOfBoundsException.class, () -> c.getByte(3, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> c.getByte(4, 0), "only 4 descriptors");
        assertThrows(IndexOutOfBoundsException.class, () -> c.putByte(2, -1, (byte) 0));
        assertThrows(IndexOutOfBoundsException.class, () -> c.copyFrom(2, 1, arena.allocate(8), 0, 3));
    }

    @Test
    void shouldRefuseWritesWhenDescriptorIsDeviceReadable() {
        assertThrows(IllegalArgumentException.class, () -> c.putByte(0, 0, (byte) 1));
        assertThrows(IllegalArgumentException.class, () -> c.writeBytes(1, 0, new byte[1], 0, 1));
        assertArrayEquals(new byte[] {0}, mem.read(DATA_GPA, 1));
    }
}
