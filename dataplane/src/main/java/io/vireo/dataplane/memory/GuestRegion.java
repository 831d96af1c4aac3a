package io.vireo.dataplane.memory;

import java.lang.foreign.MemorySegment;

/**
 * One contiguous range of guest-physical RAM and the host segment that backs it.
 *
 * @param gpa         first guest-physical address of the region
 * @param segment     host mapping of exactly {@code segment.byteSize()} bytes
 * @param fileOffset  offset of the region in the backing memfd (for a vhost-user peer), or -1
 */
public record GuestRegion(long gpa, MemorySegment segment, long fileOffset) {
    public long sizeBytes() {
        return segment.byteSize();
    }

    /** Exclusive end address; regions never wrap (checked by {@link GuestMemory}). */
    public long endGpa() {
        return gpa + segment.byteSize();
    }

    public boolean contains(long addr, long len) {
        // Written so that no sum can overflow: addr - gpa is only computed once addr >= gpa.
        return len >= 0 && addr >= gpa && addr - gpa <= segment.byteSize()
            && len <= segment.byteSize() - (addr - gpa);
    }
}
