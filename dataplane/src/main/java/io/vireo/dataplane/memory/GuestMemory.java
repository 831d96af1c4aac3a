package io.vireo.dataplane.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Guest RAM as a small table of regions, sorted by address, not overlapping.
 *
 * <p>The table is immutable after construction, so any thread may translate addresses without
 * synchronisation. Translation is a linear scan: a machine has one to three regions.
 * Who maps and unmaps the segments is the creator's business (see {@code MemfdGuestMemory} in the VMM);
 * this class never owns them.
 */
public class GuestMemory {
    private final GuestRegion[] regions;
    private final long ramSizeBytes;

    public GuestMemory(List<GuestRegion> regionList) {
        List<GuestRegion> sorted = new ArrayList<>(regionList);
        sorted.sort(Comparator.comparingLong(GuestRegion::gpa));
        long total = 0;
        long prevEnd = 0;
        for (GuestRegion r : sorted) {
            if (r.gpa() < 0 || r.sizeBytes() <= 0 || r.gpa() + r.sizeBytes() < r.gpa()) {
                throw new IllegalArgumentException("bad region: gpa=0x" + Long.toHexString(r.gpa())
                    + ", size=" + r.sizeBytes());
            }
            if (r.gpa() < prevEnd) {
                throw new IllegalArgumentException("overlapping regions at gpa=0x" + Long.toHexString(r.gpa()));
            }
            prevEnd = r.endGpa();
            total += r.sizeBytes();
        }
        this.regions = sorted.toArray(new GuestRegion[0]);
        this.ramSizeBytes = total;
    }

    public List<GuestRegion> regions() {
        return List.of(regions);
    }

    /** Region {@code i} (as {@link #regionIndex} returned it). Allocation-free, unlike {@link #regions()}. */
    public GuestRegion region(int i) {
        return regions[i];
    }

    public int regionCount() {
        return regions.length;
    }

    public long ramSizeBytes() {
        return ramSizeBytes;
    }

    /** Whether [gpa, gpa+len) lies entirely inside one region. Allocation-free. */
    public boolean contains(long gpa, long len) {
        return regionIndex(gpa, len) >= 0;
    }

    /** Index of the region holding [gpa, gpa+len), or -1. */
    public int regionIndex(long gpa, long len) {
        for (int i = 0; i < regions.length; i++) {
            if (regions[i].contains(gpa, len)) {
                return i;
            }
        }
        return -1;
    }

    /** A view of [gpa, gpa+len) in host memory; throws if any byte is outside RAM. */
    public MemorySegment slice(long gpa, long len) {
        int i = regionIndex(gpa, len);
        if (i < 0) {
            throw new GuestMemoryException(gpa, len);
        }
        GuestRegion r = regions[i];
        return r.segment().asSlice(gpa - r.gpa(), len);
    }

    public void write(long gpa, byte[] data) {
        MemorySegment.copy(data, 0, slice(gpa, data.length), ValueLayout.JAVA_BYTE, 0, data.length);
    }

    public void write(long gpa, MemorySegment data) {
        slice(gpa, data.byteSize()).copyFrom(data);
    }

    public byte[] read(long gpa, int len) {
        return slice(gpa, len).toArray(ValueLayout.JAVA_BYTE);
    }

    public void fill(long gpa, long len, byte value) {
        slice(gpa, len).fill(value);
    }
}
