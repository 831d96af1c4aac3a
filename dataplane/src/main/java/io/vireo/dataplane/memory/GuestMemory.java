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
    // The table again as flat arrays: the per-descriptor check reads two longs, no record or segment call.
    private final long[] starts;
    private final long[] sizes;
    private final long[] hostAddresses;
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
        this.starts = new long[regions.length];
        this.sizes = new long[regions.length];
        this.hostAddresses = new long[regions.length];
        for (int i = 0; i < regions.length; i++) {
            starts[i] = regions[i].gpa();
            sizes[i] = regions[i].sizeBytes();
            hostAddresses[i] = regions[i].segment().address();
        }
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
        if (len < 0) {
            return -1;
        }
        long[] st = starts;
        long[] sz = sizes;
        for (int i = 0; i < st.length; i++) {
            // As GuestRegion.contains, and no sum can overflow: gpa - start is used only once gpa >= start.
            long off = gpa - st[i];
            if (gpa >= st[i] && off <= sz[i] && len <= sz[i] - off) {
                return i;
            }
        }
        return -1;
    }

    /** The host virtual address where region {@code i} is mapped (its segment's address; native segments). */
    public long regionHostAddress(int i) {
        return hostAddresses[i];
    }

    /** The first guest-physical address of region {@code i}. */
    public long regionGpa(int i) {
        return starts[i];
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
