package io.vireo.dataplane.virtio.queue;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Byte layout of a split virtqueue (virtio 1.2 §2.7), all fields little-endian.
 *
 * <pre>
 * Descriptor table (§2.7.5), 16-byte aligned, 16 * size bytes; one entry:
 *   +0  u64 addr    guest-physical buffer address
 *   +8  u32 len     buffer length in bytes (for INDIRECT: table length)
 *   +12 u16 flags   NEXT=1, WRITE=2 (device-writable), INDIRECT=4
 *   +14 u16 next    index of the next descriptor when NEXT is set
 *
 * Available ring (§2.7.6), 2-byte aligned, 6 + 2 * size bytes (4 + 2 * size without EVENT_IDX):
 *   +0        u16 flags         NO_INTERRUPT=1
 *   +2        u16 idx           driver's next free slot (free-running, wraps at 2^16)
 *   +4        u16 ring[size]    descriptor heads
 *   +4+2*size u16 used_event    only with VIRTIO_F_EVENT_IDX
 *
 * Used ring (§2.7.8), 4-byte aligned, 6 + 8 * size bytes (4 + 8 * size without EVENT_IDX):
 *   +0        u16 flags         NO_NOTIFY=1
 *   +2        u16 idx           device's next free slot (free-running, wraps at 2^16)
 *   +4        {u32 id, u32 len} ring[size]
 *   +4+8*size u16 avail_event   only with VIRTIO_F_EVENT_IDX
 * </pre>
 */
public final class SplitRingLayout {
    /** §2.7: the maximum Queue Size of a split virtqueue. */
    public static final int MAX_QUEUE_SIZE = 32768;

    public static final int DESC_ALIGN = 16;
    public static final int AVAIL_ALIGN = 2;
    public static final int USED_ALIGN = 4;

    public static final int DESC_SIZE = 16;
    public static final int DESC_ADDR_OFFSET = 0;
    public static final int DESC_LEN_OFFSET = 8;
    public static final int DESC_FLAGS_OFFSET = 12;
    public static final int DESC_NEXT_OFFSET = 14;

    public static final int VIRTQ_DESC_F_NEXT = 1;
    public static final int VIRTQ_DESC_F_WRITE = 2;
    public static final int VIRTQ_DESC_F_INDIRECT = 4;

    public static final int AVAIL_FLAGS_OFFSET = 0;
    public static final int AVAIL_IDX_OFFSET = 2;
    public static final int AVAIL_RING_OFFSET = 4;
    public static final int AVAIL_ELEM_SIZE = 2;
    public static final int VIRTQ_AVAIL_F_NO_INTERRUPT = 1;

    public static final int USED_FLAGS_OFFSET = 0;
    public static final int USED_IDX_OFFSET = 2;
    public static final int USED_RING_OFFSET = 4;
    public static final int USED_ELEM_SIZE = 8;
    public static final int USED_ELEM_ID_OFFSET = 0;
    public static final int USED_ELEM_LEN_OFFSET = 4;
    public static final int VIRTQ_USED_F_NO_NOTIFY = 1;

    /** Size of the trailing used_event / avail_event field that VIRTIO_F_EVENT_IDX adds. */
    public static final int EVENT_FIELD_SIZE = 2;

    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Aligned, for the acquire/release accesses to the ring indices (the rings' alignment is checked at enable). */
    static final ValueLayout.OfShort U16_ALIGNED = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SplitRingLayout() {
    }

    /** Whether {@code size} is a valid split Queue Size: a power of two in [1, 32768] (§2.7). */
    public static boolean isValidQueueSize(int size) {
        return size > 0 && size <= MAX_QUEUE_SIZE && (size & (size - 1)) == 0;
    }

    // The sizes below use long arithmetic: with size <= 32768 none of them can overflow, and a caller passing an
    // unchecked int still gets a non-negative, exact answer (at most 16 * 2^31).

    public static long descTableSizeBytes(int size) {
        return (long) DESC_SIZE * Integer.toUnsignedLong(size);
    }

    public static long availRingSizeBytes(int size, boolean eventIdx) {
        return AVAIL_RING_OFFSET + (long) AVAIL_ELEM_SIZE * Integer.toUnsignedLong(size)
            + (eventIdx ? EVENT_FIELD_SIZE : 0);
    }

    public static long usedRingSizeBytes(int size, boolean eventIdx) {
        return USED_RING_OFFSET + (long) USED_ELEM_SIZE * Integer.toUnsignedLong(size)
            + (eventIdx ? EVENT_FIELD_SIZE : 0);
    }

    /** Offset of used_event in the available ring. */
    public static long usedEventOffset(int size) {
        return AVAIL_RING_OFFSET + (long) AVAIL_ELEM_SIZE * size;
    }

    /** Offset of avail_event in the used ring. */
    public static long availEventOffset(int size) {
        return USED_RING_OFFSET + (long) USED_ELEM_SIZE * size;
    }

    /**
     * §2.7.10 / §2.7.7 {@code vring_need_event}: whether moving an index from {@code oldIdx} to {@code newIdx} crosses
     * {@code eventIdx}, i.e. {@code eventIdx} is in [oldIdx, newIdx) modulo 2^16. All three are u16 values.
     */
    public static boolean needEvent(int eventIdx, int newIdx, int oldIdx) {
        return ((newIdx - eventIdx - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
    }
}
