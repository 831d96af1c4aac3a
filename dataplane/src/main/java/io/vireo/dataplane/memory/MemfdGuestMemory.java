package io.vireo.dataplane.memory;

import io.vireo.sys.Libc;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Guest RAM backed by one memfd mapped {@code MAP_SHARED}: the same pages can later be handed to a
 * vhost-user peer by file descriptor. Each region is its own mapping of a slice of the memfd.
 *
 * <p>Layout: RAM up to the start of the 32-bit PCI hole is one region at GPA 0; the rest continues
 * at 4 GiB, so the hole (IOAPIC, LAPIC, PCI BARs) never shadows RAM.
 */
public final class MemfdGuestMemory extends GuestMemory implements AutoCloseable {
    /** Start of the 32-bit PCI hole (3 GiB); it ends at 4 GiB. */
    public static final long PCI_HOLE_START = 3L << 30;
    public static final long PCI_HOLE_END = 4L << 30;

    private final int memfd;
    private boolean closed;

    private MemfdGuestMemory(List<GuestRegion> regions, int memfd) {
        super(regions);
        this.memfd = memfd;
    }

    /** Allocates {@code sizeBytes} of RAM (a multiple of 4 KiB), split around the PCI hole. */
    public static MemfdGuestMemory allocate(long sizeBytes) {
        if (sizeBytes <= 0 || (sizeBytes & 0xfff) != 0) {
            throw new IllegalArgumentException("guest RAM must be a positive multiple of 4 KiB: " + sizeBytes);
        }
        int fd = Libc.memfdCreate("vireo-guest-ram", Libc.MFD_CLOEXEC);
        List<GuestRegion> regions = new ArrayList<>(2);
        try {
            Libc.ftruncate(fd, sizeBytes);
            long low = Math.min(sizeBytes, PCI_HOLE_START);
            regions.add(map(fd, 0, 0, low));
            if (sizeBytes > low) {
                regions.add(map(fd, PCI_HOLE_END, low, sizeBytes - low));
            }
            return new MemfdGuestMemory(regions, fd);
        } catch (RuntimeException e) {
            for (GuestRegion r : regions) {
                Libc.munmap(r.segment());
            }
            Libc.closeQuietly(fd);
            throw e;
        }
    }

    private static GuestRegion map(int fd, long gpa, long fileOffset, long size) {
        // MAP_NORESERVE: a 64 GiB guest that touches 1 GiB costs 1 GiB.
        MemorySegment seg = Libc.mmap(0, size, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_SHARED | Libc.MAP_NORESERVE, fd, fileOffset);
        return new GuestRegion(gpa, seg, fileOffset);
    }

    public int memfd() {
        return memfd;
    }

    /** Unmaps every region and closes the memfd. Only call when no vCPU or worker can touch RAM. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (GuestRegion r : regions()) {
            Libc.munmap(r.segment());
        }
        Libc.closeQuietly(memfd);
    }
}
