package io.vireo.dataplane.virtio.queue;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.memory.GuestRegion;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

import static io.vireo.dataplane.virtio.queue.SplitRingLayout.DESC_ADDR_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.DESC_FLAGS_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.DESC_LEN_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.DESC_NEXT_OFFSET;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.DESC_SIZE;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.U16;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.U32;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.U64;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_DESC_F_INDIRECT;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_DESC_F_NEXT;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_DESC_F_WRITE;

/**
 * A popped descriptor chain, resolved and validated: a reusable flyweight (one per worker, refilled by
 * {@link SplitQueue#popChain}), so popping allocates nothing.
 *
 * <p>Each descriptor is read from guest memory exactly once; what is kept here is that copy, so a guest that rewrites
 * its descriptors while the device works cannot change what was validated. Descriptors {@code [0, readableCount)} are
 * device-readable and {@code [readableCount, count)} device-writable (§2.7.4.2 is enforced). Every buffer lies inside
 * one guest RAM region; it is kept as (region segment, offset), and the accessors check offsets against the
 * descriptor's length, so a device bug cannot reach past the buffer into the rest of guest RAM.
 *
 * <p>After a request-level error, {@link #headId()} is the head to complete, {@link #error()} the code,
 * {@link #errorIndex()} the position in the chain that failed and {@link #errorValue()} the offending guest value
 * (address, length or index) for the log line; {@link #count()} holds only the descriptors validated before it.
 */
public final class DescriptorChain {
    // The second 8 bytes of a descriptor read as one little-endian u64: len (u32), flags (u16), next (u16).
    private static final int FLAGS_SHIFT = (DESC_FLAGS_OFFSET - DESC_LEN_OFFSET) * 8;
    private static final int NEXT_SHIFT = (DESC_NEXT_OFFSET - DESC_LEN_OFFSET) * 8;
    private final int capacity;
    private final long[] addr;
    private final long[] len;
    /** Index of each buffer's region in {@link #memory}: an int store per descriptor, not a reference store. */
    private final int[] region;
    private final long[] regionOffset;
    private GuestMemory memory;

    private int headId = -1;
    private int count;
    private int readableCount;
    private long totalReadable;
    private long totalWritable;
    private QueueError error = QueueError.OK;
    private int errorIndex;
    private long errorValue;

    /**
     * @param capacity the longest chain this device accepts: normally the queue's maximum size (32768 at most); a
     *                 device that advertises a smaller limit (seg_max) may pass that, longer chains then fail with
     *                 {@link QueueError#CHAIN_TOO_LONG}
     */
    public DescriptorChain(int capacity) {
        if (capacity <= 0 || capacity > SplitRingLayout.MAX_QUEUE_SIZE) {
            throw new IllegalArgumentException("chain capacity must be in [1, 32768]: capacity=" + capacity);
        }
        this.capacity = capacity;
        this.addr = new long[capacity];
        this.len = new long[capacity];
        this.region = new int[capacity];
        this.regionOffset = new long[capacity];
    }

    public int capacity() {
        return capacity;
    }

    /** The head descriptor id, to pass to {@link SplitQueue#pushUsed}; -1 when nothing was popped. */
    public int headId() {
        return headId;
    }

    public int count() {
        return count;
    }

    public int readableCount() {
        return readableCount;
    }

    public int writableCount() {
        return count - readableCount;
    }

    public long totalReadable() {
        return totalReadable;
    }

    public long totalWritable() {
        return totalWritable;
    }

    /** {@link QueueError#OK} or the request-level error of the last pop. */
    public QueueError error() {
        return error;
    }

    public int errorIndex() {
        return errorIndex;
    }

    public long errorValue() {
        return errorValue;
    }

    /** Guest-physical address of descriptor {@code i}. */
    public long addr(int i) {
        Objects.checkIndex(i, count);
        return addr[i];
    }

    /** Length of descriptor {@code i} in bytes (a u32). */
    public long len(int i) {
        Objects.checkIndex(i, count);
        return len[i];
    }

    public boolean isWritable(int i) {
        Objects.checkIndex(i, count);
        return i >= readableCount;
    }

    /** The whole guest RAM region holding descriptor {@code i}; use with {@link #regionOffset}. */
    public MemorySegment regionSegment(int i) {
        Objects.checkIndex(i, count);
        return seg(i);
    }

    /** Index of the guest RAM region holding descriptor {@code i} ({@link GuestMemory#region}). */
    public int regionIndex(int i) {
        Objects.checkIndex(i, count);
        return region[i];
    }

    /** The guest memory the last chain was resolved in. */
    public GuestMemory memory() {
        return memory;
    }

    private MemorySegment seg(int i) {
        return memory.region(region[i]).segment();
    }

    /** Offset of descriptor {@code i}'s buffer in {@link #regionSegment}. */
    public long regionOffset(int i) {
        Objects.checkIndex(i, count);
        return regionOffset[i];
    }

    /** Host virtual address of descriptor {@code i}'s buffer, for zero-copy I/O (iovecs); native regions only. */
    public long hostAddress(int i) {
        Objects.checkIndex(i, count);
        return memory.regionHostAddress(region[i]) + regionOffset[i];
    }

    /**
     * A segment over exactly descriptor {@code i}'s buffer. Allocates (asSlice makes a new object): fine for the
     * control path and tests; the hot path uses {@link #regionSegment}/{@link #regionOffset} or the accessors below.
     */
    public MemorySegment segment(int i) {
        Objects.checkIndex(i, count);
        return seg(i).asSlice(regionOffset[i], len[i]);
    }

    public byte getByte(int i, long off) {
        return seg(i).get(ValueLayout.JAVA_BYTE, at(i, off, 1));
    }

    public short getShortLE(int i, long off) {
        return seg(i).get(U16, at(i, off, 2));
    }

    public int getIntLE(int i, long off) {
        return seg(i).get(U32, at(i, off, 4));
    }

    public long getLongLE(int i, long off) {
        return seg(i).get(U64, at(i, off, 8));
    }

    public void putByte(int i, long off, byte v) {
        seg(i).set(ValueLayout.JAVA_BYTE, atWritable(i, off, 1), v);
    }

    public void putIntLE(int i, long off, int v) {
        seg(i).set(U32, atWritable(i, off, 4), v);
    }

    public void readBytes(int i, long off, byte[] dst, int dstOff, int n) {
        MemorySegment.copy(seg(i), ValueLayout.JAVA_BYTE, at(i, off, n), dst, dstOff, n);
    }

    public void writeBytes(int i, long off, byte[] src, int srcOff, int n) {
        MemorySegment.copy(src, srcOff, seg(i), ValueLayout.JAVA_BYTE, atWritable(i, off, n), n);
    }

    /** Copies {@code n} bytes from offset {@code off} of descriptor {@code i} to {@code dst} at {@code dstOff}. */
    public void copyTo(int i, long off, MemorySegment dst, long dstOff, long n) {
        MemorySegment.copy(seg(i), at(i, off, n), dst, dstOff, n);
    }

    /** Copies {@code n} bytes from {@code src} at {@code srcOff} into device-writable descriptor {@code i}. */
    public void copyFrom(int i, long off, MemorySegment src, long srcOff, long n) {
        MemorySegment.copy(src, srcOff, seg(i), atWritable(i, off, n), n);
    }

    /**
     * Gathers {@code n} bytes starting at byte {@code off} of the device-readable part of the chain, whatever the
     * descriptor boundaries (§2.7.4.1: the device must not assume a framing). Returns the bytes copied, less than
     * {@code n} when the readable part is shorter.
     */
    public long gatherReadable(long off, MemorySegment dst, long dstOff, long n) {
        return transfer(0, readableCount, off, dst, dstOff, n, false);
    }

    /** Scatters {@code n} bytes into the device-writable part of the chain from its byte {@code off}; see gather. */
    public long scatterWritable(long off, MemorySegment src, long srcOff, long n) {
        return transfer(readableCount, count, off, src, srcOff, n, true);
    }

    private long transfer(int from, int to, long off, MemorySegment other, long otherOff, long n, boolean toGuest) {
        if (off < 0 || n < 0) {
            throw new IllegalArgumentException("negative offset or length: off=" + off + ", n=" + n);
        }
        long done = 0;
        long skip = off;
        for (int i = from; i < to && done < n; i++) {
            long l = len[i];
            if (skip >= l) {
                skip -= l;
                continue;
            }
            long chunk = Math.min(l - skip, n - done);
            if (toGuest) {
                MemorySegment.copy(other, otherOff + done, seg(i), regionOffset[i] + skip, chunk);
            } else {
                MemorySegment.copy(seg(i), regionOffset[i] + skip, other, otherOff + done, chunk);
            }
            done += chunk;
            skip = 0;
        }
        return done;
    }

    private long at(int i, long off, long n) {
        Objects.checkIndex(i, count);
        Objects.checkFromIndexSize(off, n, len[i]);
        return regionOffset[i] + off;
    }

    private long atWritable(int i, long off, long n) {
        if (i < readableCount) {
            // §2.7.5.1: a device MUST NOT write to a device-readable buffer. A device bug, not a guest fault.
            throw new IllegalArgumentException("descriptor is device-readable: i=" + i + ", readableCount="
                + readableCount);
        }
        return at(i, off, n);
    }

    void clear() {
        headId = -1;
        count = 0;
        readableCount = 0;
        totalReadable = 0;
        totalWritable = 0;
        error = QueueError.OK;
        errorIndex = -1;
        errorValue = 0;
    }

    /**
     * Walks and validates the chain whose head is {@code head} in the direct table {@code descTable} (a segment of
     * exactly {@code queueSize} descriptors). Returns OK or a request-level code; never throws on guest input.
     */
    QueueError resolve(GuestMemory mem, MemorySegment descTable, int queueSize, boolean indirectAllowed, int head) {
        clear();
        memory = mem;
        headId = head;
        int limit = Math.min(capacity, queueSize);
        MemorySegment table = descTable;
        long tableBase = 0;
        long tableEntries = queueSize;
        // §2.7.5.2: a chain visits each descriptor of its table at most once, so more visits than entries is a loop.
        long ttl = queueSize;
        boolean inIndirect = false;
        boolean seenWritable = false;
        long total = 0;
        long idx = head;
        while (true) {
            if (ttl-- == 0) {
                return fail(QueueError.CHAIN_LOOP, idx);
            }
            long d = tableBase + idx * DESC_SIZE;
            // Each field is read once; the validated copy is what the device uses (the guest may rewrite the table).
            // Two loads: addr, then len | flags << 32 | next << 48 (the three little-endian fields after it).
            long a = table.get(U64, d + DESC_ADDR_OFFSET);
            long w = table.get(U64, d + DESC_LEN_OFFSET);
            long l = w & 0xffff_ffffL;
            int flags = (int) (w >>> FLAGS_SHIFT) & 0xffff;
            int next = (int) (w >>> NEXT_SHIFT);

            if ((flags & VIRTQ_DESC_F_INDIRECT) != 0) {
                if (!indirectAllowed) {
                    return fail(QueueError.INDIRECT_NOT_NEGOTIATED, flags);
                }
                if (inIndirect) {
                    return fail(QueueError.INDIRECT_NESTED, a);
                }
                if ((flags & VIRTQ_DESC_F_NEXT) != 0) {
                    return fail(QueueError.INDIRECT_WITH_NEXT, next);
                }
                if (l == 0 || (l & (DESC_SIZE - 1)) != 0) {
                    return fail(QueueError.INDIRECT_BAD_LEN, l);
                }
                int r = mem.regionIndex(a, l);
                if (r < 0) {
                    return fail(QueueError.INDIRECT_OUT_OF_RAM, a);
                }
                // §2.7.5.3.2: the WRITE flag of the descriptor that refers to the table is ignored.
                GuestRegion region = mem.region(r);
                table = region.segment();
                tableBase = a - region.gpa();
                tableEntries = l / DESC_SIZE;
                ttl = tableEntries;
                inIndirect = true;
                idx = 0;
                continue;
            }

            if (count == limit) {
                return fail(QueueError.CHAIN_TOO_LONG, count + 1L);
            }
            int r = mem.regionIndex(a, l);
            if (r < 0) {
                return fail(QueueError.DESC_OUT_OF_RAM, a);
            }
            boolean writable = (flags & VIRTQ_DESC_F_WRITE) != 0;
            if (writable) {
                seenWritable = true;
            } else if (seenWritable) {
                return fail(QueueError.WRITABLE_BEFORE_READABLE, idx);
            }
            total += l;
            // §2.7.5.2: at most 2^32 - 1 bytes in total (the used len is a u32). Sums of u32s in a long cannot wrap.
            if (total > 0xffff_ffffL) {
                return fail(QueueError.TOTAL_LEN_OVERFLOW, total);
            }
            addr[count] = a;
            len[count] = l;
            region[count] = r;
            regionOffset[count] = a - mem.regionGpa(r);
            count++;
            if (writable) {
                totalWritable += l;
            } else {
                readableCount++;
                totalReadable += l;
            }

            if ((flags & VIRTQ_DESC_F_NEXT) == 0) {
                return QueueError.OK;
            }
            if (next >= tableEntries) {
                return fail(QueueError.NEXT_OUT_OF_RANGE, next);
            }
            idx = next;
        }
    }

    private QueueError fail(QueueError code, long value) {
        error = code;
        errorIndex = count;
        errorValue = value;
        return code;
    }
}
