package io.vireo.dataplane.virtio.queue;

import io.vireo.dataplane.memory.GuestMemory;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.List;

import static io.vireo.dataplane.virtio.queue.SplitRingLayout.AVAIL_FLAGS_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.AVAIL_IDX_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.AVAIL_RING_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.DESC_SIZE;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.U16;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.U16_ALIGNED;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.U32;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.U64;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.USED_FLAGS_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.USED_IDX_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.USED_RING_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_AVAIL_F_NO_INTERRUPT;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_DESC_F_INDIRECT;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_DESC_F_NEXT;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_DESC_F_WRITE;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_USED_F_NO_NOTIFY;

/**
 * The driver side of a split virtqueue, as a Linux guest lays it out ({@code vring_create_virtqueue_split}: descriptor
 * table, then the available ring, then the used ring aligned to 64 bytes, used_event/avail_event always reserved).
 * Shared by tests and benchmarks (the dataplane test-jar).
 *
 * <p>Well-behaved use: {@link #addChain}, {@link #addIndirectChain}, {@link #kick}, {@link #takeUsed}. Hostile use:
 * {@link #writeDesc}, {@link #writeTableDesc}, {@link #submitHead}, {@link #setAvailIdxRelease} write whatever a test
 * wants, bypassing every rule. {@link #submitHead} and {@link #kick} allocate nothing, for allocation checks.
 */
public final class MockGuestDriver {
    /** Linux's alignment of the used ring (SMP_CACHE_BYTES) for virtio 1.x devices. */
    public static final int LINUX_USED_ALIGN = 64;

    private static final VarHandle IDX_HANDLE = U16_ALIGNED.varHandle();

    /** One buffer of a chain: device-readable unless {@code writable}. */
    public record Buf(long gpa, int len, boolean writable) {
        public static Buf readable(long gpa, int len) {
            return new Buf(gpa, len, false);
        }

        public static Buf writable(long gpa, int len) {
            return new Buf(gpa, len, true);
        }
    }

    /** One element of the used ring. */
    public record UsedElem(int id, int len) {
    }

    private final GuestMemory memory;
    private final int size;
    private final long descGpa;
    private final long availGpa;
    private final long usedGpa;
    private final MemorySegment desc;
    private final MemorySegment avail;
    private final MemorySegment used;
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private final int[][] owned;

    private int availIdx;
    private int kickedIdx;
    private int lastUsed;

    /** A queue at explicit addresses (which may be hostile: the mock only needs them inside RAM to write them). */
    public MockGuestDriver(GuestMemory memory, int size, long descGpa, long availGpa, long usedGpa) {
        this.memory = memory;
        this.size = size;
        this.descGpa = descGpa;
        this.availGpa = availGpa;
        this.usedGpa = usedGpa;
        this.desc = memory.slice(descGpa, SplitRingLayout.descTableSizeBytes(size));
        this.avail = memory.slice(availGpa, SplitRingLayout.availRingSizeBytes(size, true));
        this.used = memory.slice(usedGpa, SplitRingLayout.usedRingSizeBytes(size, true));
        desc.fill((byte) 0);
        avail.fill((byte) 0);
        used.fill((byte) 0);
        this.owned = new int[size][];
        for (int i = 0; i < size; i++) {
            free.add(i);
        }
    }

    /** Linux's layout at {@code baseGpa} (which should be 4 KiB aligned). */
    public static MockGuestDriver linux(GuestMemory memory, long baseGpa, int size) {
        long availGpa = baseGpa + SplitRingLayout.descTableSizeBytes(size);
        long usedGpa = alignUp(availGpa + SplitRingLayout.availRingSizeBytes(size, true), LINUX_USED_ALIGN);
        return new MockGuestDriver(memory, size, baseGpa, availGpa, usedGpa);
    }

    /** Bytes Linux's layout takes from its base. */
    public static long linuxLayoutBytes(int size) {
        long availEnd = SplitRingLayout.descTableSizeBytes(size) + SplitRingLayout.availRingSizeBytes(size, true);
        return alignUp(availEnd, LINUX_USED_ALIGN) + SplitRingLayout.usedRingSizeBytes(size, true);
    }

    private static long alignUp(long v, long align) {
        return (v + align - 1) & -align;
    }

    /** Points {@code q} at this queue, as a transport would after the driver wrote the common config. */
    public SplitQueue configure(SplitQueue q, boolean eventIdx, boolean indirectDesc) {
        q.setSize(size);
        q.setDescTableGpa(descGpa);
        q.setAvailRingGpa(availGpa);
        q.setUsedRingGpa(usedGpa);
        q.setEventIdx(eventIdx);
        q.setIndirectDesc(indirectDesc);
        return q;
    }

    public GuestMemory memory() {
        return memory;
    }

    public int size() {
        return size;
    }

    public long descGpa() {
        return descGpa;
    }

    public long availGpa() {
        return availGpa;
    }

    public long usedGpa() {
        return usedGpa;
    }

    public int freeDescriptors() {
        return free.size();
    }

    // ------------------------------------------------------------------ well-behaved driver

    /** Writes a direct chain and puts its head in the available ring (published by {@link #kick}). */
    public int addChain(List<Buf> bufs) {
        if (bufs.isEmpty() || bufs.size() > free.size()) {
            throw new IllegalStateException("cannot add " + bufs.size() + " buffers, free=" + free.size());
        }
        int[] ids = new int[bufs.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = free.poll();
        }
        for (int i = 0; i < ids.length; i++) {
            Buf b = bufs.get(i);
            boolean last = i == ids.length - 1;
            int flags = (b.writable() ? VIRTQ_DESC_F_WRITE : 0) | (last ? 0 : VIRTQ_DESC_F_NEXT);
            writeDesc(ids[i], b.gpa(), b.len(), flags, last ? 0 : ids[i + 1]);
        }
        owned[ids[0]] = ids;
        submitHead(ids[0]);
        return ids[0];
    }

    /** Writes the buffers as an indirect table at {@code tableGpa} and adds one descriptor pointing at it. */
    public int addIndirectChain(long tableGpa, List<Buf> bufs) {
        for (int i = 0; i < bufs.size(); i++) {
            Buf b = bufs.get(i);
            boolean last = i == bufs.size() - 1;
            int flags = (b.writable() ? VIRTQ_DESC_F_WRITE : 0) | (last ? 0 : VIRTQ_DESC_F_NEXT);
            writeTableDesc(tableGpa, i, b.gpa(), b.len(), flags, last ? 0 : i + 1);
        }
        int head = free.poll();
        writeDesc(head, tableGpa, bufs.size() * DESC_SIZE, VIRTQ_DESC_F_INDIRECT, 0);
        owned[head] = new int[] {head};
        submitHead(head);
        return head;
    }

    /**
     * Publishes the available ring (release store of avail idx) and decides, as Linux's virtqueue_kick_prepare does,
     * whether to notify the device. Allocation-free.
     */
    public boolean kick(boolean eventIdx) {
        int old = kickedIdx;
        setAvailIdxRelease(availIdx);
        kickedIdx = availIdx;
        // ORDERING: StoreLoad, the driver's half of the notification race (pairs with enableNotificationsAndCheck).
        VarHandle.fullFence();
        if (eventIdx) {
            return SplitRingLayout.needEvent(availEvent(), availIdx, old);
        }
        return (usedFlags() & VIRTQ_USED_F_NO_NOTIFY) == 0;
    }

    /** The next used element, freeing its descriptors, or null when the device has published nothing new. */
    public UsedElem takeUsed() {
        if (lastUsed == usedIdxAcquire()) {
            return null;
        }
        long e = USED_RING_OFFSET + 8L * (lastUsed & (size - 1));
        UsedElem u = new UsedElem(used.get(U32, e), used.get(U32, e + 4));
        lastUsed = (lastUsed + 1) & 0xffff;
        if (u.id() >= 0 && u.id() < size && owned[u.id()] != null) {
            for (int id : owned[u.id()]) {
                free.add(id);
            }
            owned[u.id()] = null;
        }
        return u;
    }

    public int usedIdxAcquire() {
        return (short) IDX_HANDLE.getAcquire(used, (long) USED_IDX_OFFSET) & 0xffff;
    }

    public int usedFlags() {
        return used.get(U16, USED_FLAGS_OFFSET) & 0xffff;
    }

    public int availEvent() {
        return used.get(U16, SplitRingLayout.availEventOffset(size)) & 0xffff;
    }

    public void setUsedEvent(int idx) {
        avail.set(U16, SplitRingLayout.usedEventOffset(size), (short) idx);
    }

    public void setNoInterrupt(boolean on) {
        avail.set(U16, AVAIL_FLAGS_OFFSET, (short) (on ? VIRTQ_AVAIL_F_NO_INTERRUPT : 0));
    }

    /** The driver's next avail idx (published or not). */
    public int availIdx() {
        return availIdx;
    }

    // ------------------------------------------------------------------ raw (hostile) access

    /** Takes a free descriptor index, for a test that writes the descriptor itself. */
    public int allocDesc() {
        return free.poll();
    }

    public void writeDesc(int i, long addr, int len, int flags, int next) {
        writeTableDesc(descGpa, i, addr, len, flags, next);
    }

    /** Writes entry {@code i} of a descriptor table at {@code tableGpa} (the ring's own or an indirect one). */
    public void writeTableDesc(long tableGpa, int i, long addr, int len, int flags, int next) {
        MemorySegment d = memory.slice(tableGpa + (long) i * DESC_SIZE, DESC_SIZE);
        d.set(U64, 0, addr);
        d.set(U32, 8, len);
        d.set(U16, 12, (short) flags);
        d.set(U16, 14, (short) next);
    }

    /** Puts {@code head} (any value) in the next avail slot without publishing. Allocation-free. */
    public void submitHead(int head) {
        avail.set(U16, AVAIL_RING_OFFSET + 2L * (availIdx & (size - 1)), (short) head);
        availIdx = (availIdx + 1) & 0xffff;
    }

    /** Stores any avail idx (release), e.g. one that jumps by more than the queue size. */
    public void setAvailIdxRelease(int idx) {
        IDX_HANDLE.setRelease(avail, (long) AVAIL_IDX_OFFSET, (short) idx);
    }

    public int availIdxPublished() {
        return avail.get(U16, AVAIL_IDX_OFFSET) & 0xffff;
    }
}
