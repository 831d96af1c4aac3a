package io.vireo.dataplane.virtio.device.blk.backend;

import java.util.Arrays;

/**
 * An immutable set of 512-byte sector numbers, held as sorted, disjoint, non-adjacent inclusive ranges; overlap
 * queries are a binary search and allocate nothing.
 */
public final class SectorSet {
    private static final SectorSet EMPTY = new SectorSet(new long[0], new long[0]);

    private final long[] first;
    private final long[] last;

    private SectorSet(long[] first, long[] last) {
        this.first = first;
        this.last = last;
    }

    public static SectorSet empty() {
        return EMPTY;
    }

    /**
     * Parses a comma-separated list of sectors and inclusive ranges, e.g. {@code "2048,10000-10007"}; blanks around
     * entries are ignored, overlapping entries merged, an empty or blank text is the empty set.
     *
     * @throws IllegalArgumentException with a one-line message naming the bad entry
     */
    public static SectorSet parse(String text) {
        if (text == null || text.isBlank()) {
            return EMPTY;
        }
        String[] entries = text.split(",", -1);
        long[][] ranges = new long[entries.length][];
        for (int i = 0; i < entries.length; i++) {
            String e = entries[i].strip();
            if (e.isEmpty()) {
                throw new IllegalArgumentException("sector list '" + text + "': entry " + (i + 1) + " is empty");
            }
            int dash = e.indexOf('-');
            long a = sector(text, dash < 0 ? e : e.substring(0, dash));
            long b = dash < 0 ? a : sector(text, e.substring(dash + 1));
            if (b < a) {
                throw new IllegalArgumentException("sector list '" + text + "': range " + e + " ends before it starts");
            }
            ranges[i] = new long[] {a, b};
        }
        return of(ranges);
    }

    private static long sector(String text, String s) {
        String t = s.strip();
        if (t.isEmpty() || !t.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("sector list '" + text + "': '" + s.strip()
                + "' is not a sector number (decimal, 0 or more)");
        }
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("sector list '" + text + "': sector " + t + " is too large");
        }
    }

    /** @param ranges inclusive {@code {first, last}} pairs, in any order, overlapping or not */
    private static SectorSet of(long[][] ranges) {
        Arrays.sort(ranges, (x, y) -> Long.compare(x[0], y[0]));
        long[] f = new long[ranges.length];
        long[] l = new long[ranges.length];
        int n = 0;
        for (long[] r : ranges) {
            if (n > 0 && (r[0] <= l[n - 1] || r[0] - 1 == l[n - 1])) {
                l[n - 1] = Math.max(l[n - 1], r[1]);
            } else {
                f[n] = r[0];
                l[n] = r[1];
                n++;
            }
        }
        return new SectorSet(Arrays.copyOf(f, n), Arrays.copyOf(l, n));
    }

    public boolean isEmpty() {
        return first.length == 0;
    }

    public boolean contains(long sector) {
        return overlaps(sector, sector);
    }

    /** Whether any sector of {@code [firstSector, lastSector]} is in the set. */
    public boolean overlaps(long firstSector, long lastSector) {
        // The last range that starts at or before lastSector is the only candidate.
        int lo = 0;
        int hi = first.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (first[mid] <= lastSector) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found >= 0 && last[found] >= firstSector;
    }

    /** Whether the byte range {@code [offset, offset + length)} touches a sector of the set (false when empty). */
    public boolean overlapsBytes(long offset, long length) {
        return length > 0 && overlaps(offset >>> 9, (offset + length - 1) >>> 9);
    }

    /** The canonical text, parseable again: {@code "2048,10000-10007"}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < first.length; i++) {
            if (i > 0) {
                s.append(',');
            }
            s.append(first[i]);
            if (last[i] != first[i]) {
                s.append('-').append(last[i]);
            }
        }
        return s.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SectorSet other && Arrays.equals(first, other.first) && Arrays.equals(last, other.last);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(first) + Arrays.hashCode(last);
    }
}
