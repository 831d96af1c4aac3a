package io.vireo.dataplane.vhostuser;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.memory.GuestRegion;
import io.vireo.sys.Libc;
import io.vireo.sys.SysException;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The front end's guest RAM as the back end sees it: each region of a memory table is the front end's fd mapped
 * {@code MAP_SHARED} here, between two {@code PROT_NONE} guard pages, and the set is one {@link GuestMemory}
 * (descriptors carry guest-physical addresses). Ring addresses arrive as the front end's own virtual addresses
 * ({@code user_addr}, vhost-user.rst "memory regions"): {@link #userToGpa} translates them.
 *
 * <p>Immutable: a new table ({@link #with}, {@link #without}) shares the mappings it keeps; whoever drops a mapping
 * from every table in use unmaps it ({@link Mapping#unmap}).
 */
public final class VhostUserBackendMemory {
    static final long PAGE = 4096;

    /** One region: where the guest sees it, where the front end has it, and our mapping of it. */
    public static final class Mapping {
        final long gpa;
        final long sizeBytes;
        final long userAddr;
        final long mmapOffset;
        private final MemorySegment reservation;
        final MemorySegment region;
        private boolean unmapped;

        private Mapping(long gpa, long sizeBytes, long userAddr, long mmapOffset, MemorySegment reservation,
                        MemorySegment region) {
            this.gpa = gpa;
            this.sizeBytes = sizeBytes;
            this.userAddr = userAddr;
            this.mmapOffset = mmapOffset;
            this.reservation = reservation;
            this.region = region;
        }

        /** Same region as a REM_MEM_REG names it: guest address, size and front-end address. */
        boolean sameAs(long otherGpa, long otherSize, long otherUserAddr) {
            return gpa == otherGpa && sizeBytes == otherSize && userAddr == otherUserAddr;
        }

        /** Unmaps the region and its guard pages; nothing may touch it afterwards. Idempotent. */
        public synchronized void unmap() {
            if (!unmapped) {
                unmapped = true;
                Libc.munmap(reservation);
            }
        }

        @Override
        public String toString() {
            return "gpa=0x" + Long.toHexString(gpa) + " size=0x" + Long.toHexString(sizeBytes) + " ua=0x"
                + Long.toHexString(userAddr) + " offset=0x" + Long.toHexString(mmapOffset);
        }
    }

    private final Mapping[] mappings;
    private final GuestMemory guestMemory;

    private VhostUserBackendMemory(List<Mapping> list) {
        this.mappings = list.toArray(new Mapping[0]);
        List<GuestRegion> regions = new ArrayList<>(list.size());
        for (Mapping m : list) {
            regions.add(new GuestRegion(m.gpa, m.region, m.mmapOffset));
        }
        this.guestMemory = new GuestMemory(regions);
    }

    public static VhostUserBackendMemory empty() {
        return new VhostUserBackendMemory(List.of());
    }

    /**
     * Checks a region the front end describes and maps {@code fd} for it. Refuses (with the reason) sizes that are
     * zero or not whole pages, ranges that wrap, and a file shorter than {@code mmapOffset + size} (touching past
     * its end would be a SIGBUS in the JVM). The fd stays the caller's.
     */
    public static Mapping map(int fd, long gpa, long sizeBytes, long userAddr, long mmapOffset) {
        if (sizeBytes <= 0 || (sizeBytes & (PAGE - 1)) != 0) {
            throw new VhostUserRefusal("region size must be a positive multiple of 4 KiB: size=0x"
                + Long.toHexString(sizeBytes));
        }
        if (gpa < 0 || gpa + sizeBytes < 0 || mmapOffset < 0 || mmapOffset + sizeBytes < 0
            || Long.compareUnsigned(userAddr + sizeBytes, userAddr) <= 0) {
            throw new VhostUserRefusal("region wraps: gpa=0x" + Long.toHexString(gpa) + ", ua=0x"
                + Long.toHexString(userAddr) + ", offset=0x" + Long.toHexString(mmapOffset) + ", size=0x"
                + Long.toHexString(sizeBytes));
        }
        long fileSize = fileSize(fd);
        if (fileSize < mmapOffset + sizeBytes) {
            throw new VhostUserRefusal("region past the end of its file: offset=0x" + Long.toHexString(mmapOffset)
                + ", size=0x" + Long.toHexString(sizeBytes) + ", file size=0x" + Long.toHexString(fileSize));
        }
        long fileOffset = mmapOffset & ~(PAGE - 1);
        long lead = mmapOffset - fileOffset;
        long span = lead + sizeBytes;
        MemorySegment reservation = Libc.mmap(0, span + 2 * PAGE, Libc.PROT_NONE,
            Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
        try {
            // SAFETY: MAP_FIXED inside our own PROT_NONE reservation, one page in: the pages around stay guards.
            MemorySegment mapped = Libc.mmap(reservation.address() + PAGE, span, Libc.PROT_READ | Libc.PROT_WRITE,
                Libc.MAP_SHARED | Libc.MAP_FIXED | Libc.MAP_NORESERVE, fd, fileOffset);
            return new Mapping(gpa, sizeBytes, userAddr, mmapOffset, reservation, mapped.asSlice(lead, sizeBytes));
        } catch (SysException e) {
            Libc.munmap(reservation);
            throw new VhostUserRefusal("cannot map the region's fd: " + e.getMessage());
        }
    }

    private static long fileSize(int fd) {
        try {
            // stat through /proc follows the magic link to the memfd or file itself.
            return Files.size(Path.of("/proc/self/fd/" + fd));
        } catch (IOException | RuntimeException e) {
            throw new VhostUserRefusal("cannot stat the region's fd: " + e.getMessage());
        }
    }

    /**
     * This table plus {@code m}. Refuses more than {@code maxRegions}, and a region that overlaps another in guest
     * addresses or in front-end addresses (the translation would be ambiguous).
     */
    public VhostUserBackendMemory with(Mapping m, int maxRegions) {
        List<Mapping> list = new ArrayList<>(List.of(mappings));
        list.add(m);
        return of(list, maxRegions);
    }

    /** The table of exactly these mappings, checked as {@link #with} does. */
    public static VhostUserBackendMemory of(List<Mapping> list, int maxRegions) {
        if (list.size() > maxRegions) {
            throw new VhostUserRefusal("too many regions: " + list.size() + " > " + maxRegions);
        }
        List<Mapping> byGpa = new ArrayList<>(list);
        byGpa.sort(Comparator.comparingLong(x -> x.gpa));
        for (int i = 1; i < byGpa.size(); i++) {
            Mapping a = byGpa.get(i - 1);
            Mapping b = byGpa.get(i);
            if (b.gpa - a.gpa < a.sizeBytes) {
                throw new VhostUserRefusal("overlapping regions: " + a + " and " + b);
            }
        }
        List<Mapping> byUa = new ArrayList<>(list);
        byUa.sort((x, y) -> Long.compareUnsigned(x.userAddr, y.userAddr));
        for (int i = 1; i < byUa.size(); i++) {
            Mapping a = byUa.get(i - 1);
            Mapping b = byUa.get(i);
            if (Long.compareUnsigned(b.userAddr - a.userAddr, a.sizeBytes) < 0) {
                throw new VhostUserRefusal("overlapping front-end addresses: " + a + " and " + b);
            }
        }
        return new VhostUserBackendMemory(list);
    }

    /** This table without the region named {@code (gpa, size, userAddr)}; null if there is none. */
    public Mapping find(long gpa, long sizeBytes, long userAddr) {
        for (Mapping m : mappings) {
            if (m.sameAs(gpa, sizeBytes, userAddr)) {
                return m;
            }
        }
        return null;
    }

    public VhostUserBackendMemory without(Mapping gone) {
        List<Mapping> list = new ArrayList<>();
        for (Mapping m : mappings) {
            if (m != gone) {
                list.add(m);
            }
        }
        return new VhostUserBackendMemory(list);
    }

    public List<Mapping> mappings() {
        return List.of(mappings);
    }

    public int regionCount() {
        return mappings.length;
    }

    public GuestMemory guestMemory() {
        return guestMemory;
    }

    /** The guest-physical address of front-end address {@code ua}, if [ua, ua+len) lies in one region; else -1. */
    public long userToGpa(long ua, long len) {
        for (Mapping m : mappings) {
            long off = ua - m.userAddr;
            if (Long.compareUnsigned(ua, m.userAddr) >= 0 && Long.compareUnsigned(off, m.sizeBytes) < 0
                && len >= 0 && len <= m.sizeBytes - off) {
                return m.gpa + off;
            }
        }
        return -1;
    }
}
