package io.vireo.dataplane.virtio.queue;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.memory.GuestRegion;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static io.vireo.dataplane.virtio.queue.SplitRingLayout.AVAIL_ALIGN;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.AVAIL_ELEM_SIZE;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.AVAIL_FLAGS_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.AVAIL_IDX_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.AVAIL_RING_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.DESC_ALIGN;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.U16;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.U16_ALIGNED;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.U32;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.USED_ALIGN;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.USED_ELEM_ID_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.USED_ELEM_LEN_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.USED_ELEM_SIZE;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.USED_FLAGS_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.USED_IDX_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.USED_RING_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_AVAIL_F_NO_INTERRUPT;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_USED_F_NO_NOTIFY;

/**
 * The device side of one split virtqueue (virtio 1.2 §2.7).
 *
 * <p>Single consumer: after {@link #enable()}, every method is called by the one worker thread that owns the queue;
 * configuration and {@link #reset()} reach it between batches (through the worker's command ring), never concurrently.
 * The queue does not own guest memory: it validates the three rings once at enable, keeps a segment over each, and
 * checks every descriptor against the {@link GuestMemory} region table as it pops.
 *
 * <p>Nothing the guest writes makes a method throw: guest faults come back as {@link QueueError} codes. A queue-level
 * code is sticky: the queue returns it until reset.
 *
 * <p>Indices ({@code lastAvail}, {@code nextUsed}, ...) are u16 values kept in ints, always masked with 0xffff.
 */
public final class SplitQueue {
    private static final VarHandle IDX_HANDLE = U16_ALIGNED.varHandle();

    private final GuestMemory memory;
    private final int maxSize;

    // Configuration, written by the transport before enable().
    private int size;
    private long descGpa;
    private long availGpa;
    private long usedGpa;
    private boolean eventIdx;
    private boolean indirectDesc;

    // Cached at enable(): views of exactly the three rings.
    private boolean ready;
    private MemorySegment desc;
    private MemorySegment avail;
    private MemorySegment used;
    private int mask;
    private long usedEventOffset;
    private long availEventOffset;

    // Ring state.
    private int lastAvail;
    private int shadowAvail;
    private int nextUsed;
    private int publishedUsed;
    private int inFlight;
    private boolean notificationsEnabled = true;
    private QueueError brokenCode = QueueError.OK;
    private long brokenValue;

    /**
     * @param memory  guest RAM, not owned
     * @param maxSize the largest Queue Size the device offers (power of two, at most 32768); also the reset size
     */
    public SplitQueue(GuestMemory memory, int maxSize) {
        if (!SplitRingLayout.isValidQueueSize(maxSize)) {
            throw new IllegalArgumentException("max queue size must be a power of two in [1, 32768]: maxSize="
                + maxSize);
        }
        this.memory = memory;
        this.maxSize = maxSize;
        this.size = maxSize;
    }

    // ------------------------------------------------------------------ configuration (control path)

    public int maxSize() {
        return maxSize;
    }

    public int size() {
        return size;
    }

    /** Queue Size as the driver wrote it (u16 in virtio-pci); validated by {@link #enable()}. */
    public void setSize(int size) {
        this.size = size;
    }

    public void setDescTableGpa(long gpa) {
        this.descGpa = gpa;
    }

    public void setAvailRingGpa(long gpa) {
        this.availGpa = gpa;
    }

    public void setUsedRingGpa(long gpa) {
        this.usedGpa = gpa;
    }

    /** VIRTIO_F_EVENT_IDX (bit 29) negotiated: adds used_event / avail_event to the rings. */
    public void setEventIdx(boolean eventIdx) {
        this.eventIdx = eventIdx;
    }

    /** VIRTIO_F_INDIRECT_DESC (bit 28) negotiated. */
    public void setIndirectDesc(boolean indirectDesc) {
        this.indirectDesc = indirectDesc;
    }

    public long descTableGpa() {
        return descGpa;
    }

    public long availRingGpa() {
        return availGpa;
    }

    public long usedRingGpa() {
        return usedGpa;
    }

    public boolean isReady() {
        return ready;
    }

    public boolean eventIdx() {
        return eventIdx;
    }

    /**
     * Validates the configuration against §2.7 and guest RAM, and caches the rings. Returns {@link QueueError#OK} or a
     * queue-level code (the device then sets DEVICE_NEEDS_RESET); the queue stays not ready on error.
     */
    public QueueError enable() {
        ready = false;
        if (!SplitRingLayout.isValidQueueSize(size) || size > maxSize) {
            return broken(QueueError.BAD_QUEUE_SIZE, size);
        }
        if ((descGpa & (DESC_ALIGN - 1)) != 0) {
            return broken(QueueError.DESC_TABLE_MISALIGNED, descGpa);
        }
        if ((availGpa & (AVAIL_ALIGN - 1)) != 0) {
            return broken(QueueError.AVAIL_RING_MISALIGNED, availGpa);
        }
        if ((usedGpa & (USED_ALIGN - 1)) != 0) {
            return broken(QueueError.USED_RING_MISALIGNED, usedGpa);
        }
        MemorySegment d = ring(descGpa, SplitRingLayout.descTableSizeBytes(size));
        if (d == null) {
            return broken(QueueError.DESC_TABLE_OUT_OF_RAM, descGpa);
        }
        MemorySegment a = ring(availGpa, SplitRingLayout.availRingSizeBytes(size, eventIdx));
        if (a == null) {
            return broken(QueueError.AVAIL_RING_OUT_OF_RAM, availGpa);
        }
        MemorySegment u = ring(usedGpa, SplitRingLayout.usedRingSizeBytes(size, eventIdx));
        if (u == null) {
            return broken(QueueError.USED_RING_OUT_OF_RAM, usedGpa);
        }
        desc = d;
        avail = a;
        used = u;
        mask = size - 1;
        usedEventOffset = SplitRingLayout.usedEventOffset(size);
        availEventOffset = SplitRingLayout.availEventOffset(size);
        resetIndices();
        // The device owns the used ring's flags and avail_event: start with notifications on.
        putUsedFlags(0);
        if (eventIdx) {
            putAvailEvent(0);
        }
        ready = true;
        return QueueError.OK;
    }

    private MemorySegment ring(long gpa, long sizeBytes) {
        int r = memory.regionIndex(gpa, sizeBytes);
        if (r < 0) {
            return null;
        }
        GuestRegion region = memory.region(r);
        return region.segment().asSlice(gpa - region.gpa(), sizeBytes);
    }

    /**
     * After {@link #enable()}: continue a ring another device side served before (vhost-user SET_VRING_BASE). The next
     * chain popped is avail entry {@code lastAvailIdx}; used entries continue from the used idx already in guest
     * memory (the previous side drained before it stopped, so nothing is in flight).
     */
    public void resumeAt(int lastAvailIdx) {
        if (!ready) {
            throw new IllegalStateException("resumeAt before a successful enable()");
        }
        lastAvail = lastAvailIdx & 0xffff;
        shadowAvail = lastAvail;
        // ORDERING: control path, before the owning agent first polls (handed over through its command queue).
        nextUsed = Short.toUnsignedInt(used.get(SplitRingLayout.U16, USED_IDX_OFFSET));
        publishedUsed = nextUsed;
    }

    /** Back to the state after construction: not ready, indices 0, default configuration (§2.4 device reset). */
    public void reset() {
        ready = false;
        desc = null;
        avail = null;
        used = null;
        size = maxSize;
        descGpa = 0;
        availGpa = 0;
        usedGpa = 0;
        eventIdx = false;
        indirectDesc = false;
        resetIndices();
    }

    private void resetIndices() {
        lastAvail = 0;
        shadowAvail = 0;
        nextUsed = 0;
        publishedUsed = 0;
        inFlight = 0;
        notificationsEnabled = true;
        brokenCode = QueueError.OK;
        brokenValue = 0;
    }

    private QueueError broken(QueueError code, long value) {
        brokenCode = code;
        brokenValue = value;
        return code;
    }

    /** The sticky queue-level error, or OK. */
    public QueueError brokenCode() {
        return brokenCode;
    }

    /** The guest value behind {@link #brokenCode()} (the bad index, address or size), for the log line. */
    public long brokenValue() {
        return brokenValue;
    }

    // ------------------------------------------------------------------ popping (hot path)

    /** Number of chains the driver has made available and the device has not popped (may exceed size if corrupt). */
    public int pendingCount() {
        if (!ready) {
            return 0;
        }
        shadowAvail = availIdxAcquire();
        return (shadowAvail - lastAvail) & 0xffff;
    }

    /**
     * Pops the next available chain into {@code out}. Returns {@link QueueError#OK} (a valid chain),
     * {@link QueueError#EMPTY}, a request-level code (the chain is consumed, {@code out.headId()} must still be
     * completed), or a queue-level code (NEEDS_RESET; sticky).
     */
    public QueueError popChain(DescriptorChain out) {
        if (brokenCode != QueueError.OK) {
            out.clear();
            return brokenCode;
        }
        if (!ready) {
            // Not enabled yet (or reset): nothing to do; a worker may poll a queue the driver has not set up.
            out.clear();
            return QueueError.EMPTY;
        }
        if (lastAvail == shadowAvail) {
            shadowAvail = availIdxAcquire();
            int pending = (shadowAvail - lastAvail) & 0xffff;
            if (pending == 0) {
                out.clear();
                return QueueError.EMPTY;
            }
            // §2.7.6: the driver cannot have more than size chains outstanding; more means a corrupt index.
            if (pending > size) {
                out.clear();
                return broken(QueueError.AVAIL_IDX_CORRUPT, shadowAvail);
            }
        }
        int head = avail.get(U16, AVAIL_RING_OFFSET + (long) AVAIL_ELEM_SIZE * (lastAvail & mask)) & 0xffff;
        if (head >= size) {
            // Not even an error completion is possible: a used element must name a valid head.
            out.clear();
            return broken(QueueError.HEAD_OUT_OF_RANGE, head);
        }
        lastAvail = (lastAvail + 1) & 0xffff;
        inFlight++;
        if (eventIdx && notificationsEnabled) {
            // §2.7.10: ask for a kick only for chains beyond those seen. Plain store: a hint; the idle path closes the
            // race with enableNotificationsAndCheck()'s fence.
            putAvailEvent(lastAvail);
        }
        return out.resolve(memory, desc, size, indirectDesc, head);
    }

    // ------------------------------------------------------------------ completing (hot path)

    /**
     * Writes a used element without publishing it. {@code id} must be a head popped and not yet completed,
     * {@code lenBytes} the bytes written into the chain's writable buffers (a u32).
     */
    public void pushUsed(int id, int lenBytes) {
        if (inFlight == 0 || id < 0 || id >= size) {
            // A device bug (more completions than pops, or an id we never handed out), not a guest fault.
            throw new IllegalStateException("bad used element: id=" + id + ", size=" + size + ", inFlight="
                + inFlight);
        }
        putUsedElem(nextUsed & mask, id, lenBytes);
        nextUsed = (nextUsed + 1) & 0xffff;
        inFlight--;
    }

    /**
     * Publishes every element pushed since the last call with one release store of used idx, and decides whether the
     * driver needs a used-buffer notification (§2.7.7 / §2.7.10). Returns false when nothing was pushed.
     */
    public boolean publishUsed() {
        int oldIdx = publishedUsed;
        int newIdx = nextUsed;
        if (oldIdx == newIdx || !ready) {
            return false;
        }
        putUsedIdxRelease(newIdx);
        publishedUsed = newIdx;
        // ORDERING: StoreLoad. The driver re-enables interrupts by writing used_event (or clearing NO_INTERRUPT),
        // then a full barrier, then re-reading used idx. Without this fence our used idx store could still sit in the
        // store buffer while we read the old used_event: both sides miss each other and the interrupt is lost.
        VarHandle.fullFence();
        if (eventIdx) {
            return SplitRingLayout.needEvent(usedEvent(), newIdx, oldIdx);
        }
        return (availFlags() & VIRTQ_AVAIL_F_NO_INTERRUPT) == 0;
    }

    /**
     * Gives back the last {@code n} chains popped and not pushed: the next pops return them again. For a device that
     * took buffers ahead of need (virtio-net receive buffers) and stops before filling them, so the avail index it
     * reports (vhost-user GET_VRING_BASE) loses none.
     */
    public void unpop(int n) {
        if (n < 0 || n > inFlight) {
            throw new IllegalStateException("cannot unpop " + n + " chains: inFlight=" + inFlight);
        }
        lastAvail = (lastAvail - n) & 0xffff;
        shadowAvail = lastAvail;
        inFlight -= n;
    }

    /** The used index the driver has been shown (u16): equal to {@link #nextUsedIdx()} when nothing waits. */
    public int publishedUsedIdx() {
        return publishedUsed;
    }

    /** Chains popped and not yet pushed. */
    public int inFlight() {
        return inFlight;
    }

    /** The next avail index the device will pop (u16). */
    public int lastAvailIdx() {
        return lastAvail;
    }

    /** The used index of the next push (u16). */
    public int nextUsedIdx() {
        return nextUsed;
    }

    // ------------------------------------------------------------------ available-buffer notification suppression

    /** Asks the driver not to kick while the device polls (§2.7.10). */
    public void disableNotifications() {
        if (!ready || !notificationsEnabled) {
            return;
        }
        notificationsEnabled = false;
        if (!eventIdx) {
            // Plain store: a hint; a late kick is harmless while polling.
            putUsedFlags(VIRTQ_USED_F_NO_NOTIFY);
        }
        // With EVENT_IDX, avail_event simply stops advancing: the driver kicks at most once more.
    }

    /**
     * Asks the driver to kick again, then re-checks the ring. Returns true when chains are available: they arrived
     * before the driver could see the request, so it may not kick for them and the device must process them now
     * rather than sleep.
     */
    public boolean enableNotificationsAndCheck() {
        if (!ready) {
            return false;
        }
        notificationsEnabled = true;
        if (eventIdx) {
            putAvailEvent(shadowAvail);
        } else {
            putUsedFlags(0);
        }
        // ORDERING: StoreLoad. The driver writes avail idx, full barrier, then reads avail_event / used flags to
        // decide on a kick. Our store must be visible before we re-read avail idx, or a chain added in between is
        // seen by neither side: no kick, and we sleep on work.
        VarHandle.fullFence();
        return ((availIdxAcquire() - lastAvail) & 0xffff) != 0;
    }

    public boolean notificationsEnabled() {
        return notificationsEnabled;
    }

    // ------------------------------------------------------------------ ring accessors

    /** avail->idx. */
    int availIdxAcquire() {
        // ORDERING: acquire pairs with the driver's write barrier before it publishes avail idx (§2.7.13.3): the ring
        // entries and descriptors read after this load are at least as new as the index.
        return (short) IDX_HANDLE.getAcquire(avail, (long) AVAIL_IDX_OFFSET) & 0xffff;
    }

    int availFlags() {
        return avail.get(U16, AVAIL_FLAGS_OFFSET) & 0xffff;
    }

    /** avail->used_event (EVENT_IDX only). */
    int usedEvent() {
        return avail.get(U16, usedEventOffset) & 0xffff;
    }

    void putUsedElem(int slot, int id, int lenBytes) {
        long e = USED_RING_OFFSET + (long) USED_ELEM_SIZE * slot;
        // Plain stores: published by the release store of used idx in putUsedIdxRelease.
        used.set(U32, e + USED_ELEM_ID_OFFSET, id);
        used.set(U32, e + USED_ELEM_LEN_OFFSET, lenBytes);
    }

    void putUsedIdxRelease(int idx) {
        // ORDERING: release: the used elements, and the data the device wrote into the buffers, are visible before
        // the new index; pairs with the driver's read barrier after it reads used idx (§2.7.14).
        IDX_HANDLE.setRelease(used, (long) USED_IDX_OFFSET, (short) idx);
    }

    int usedIdx() {
        return used.get(U16, USED_IDX_OFFSET) & 0xffff;
    }

    void putUsedFlags(int flags) {
        used.set(U16, USED_FLAGS_OFFSET, (short) flags);
    }

    int usedFlags() {
        return used.get(U16, USED_FLAGS_OFFSET) & 0xffff;
    }

    /** used->avail_event (EVENT_IDX only). */
    void putAvailEvent(int idx) {
        used.set(U16, availEventOffset, (short) idx);
    }

    int availEvent() {
        return used.get(U16, availEventOffset) & 0xffff;
    }
}
