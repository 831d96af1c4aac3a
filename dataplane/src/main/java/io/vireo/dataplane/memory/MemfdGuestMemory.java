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
 *
 * <p>Guard pages: each region is mapped inside a larger {@code PROT_NONE} reservation, with {@link #GUARD_BYTES}
 * inaccessible bytes before and after it. Raw host addresses derived from guest addresses go to the kernel (io_uring,
 * {@code preadv}/{@code pwritev}) unchecked by the JVM: if a validation bug ever lets a buffer run past a region, the
 * kernel answers EFAULT (the request completes with IOERR) instead of reading or writing the JVM's own memory.
 */
public final class MemfdGuestMemory extends GuestMemory implements AutoCloseable {
    /** Start of the 32-bit PCI hole (3 GiB); it ends at 4 GiB. */
    public static final long PCI_HOLE_START = 3L << 30;
    public static final long PCI_HOLE_END = 4L << 30;
    /** Inaccessible bytes before and after every region (above any single request's size: 2 MiB). */
    public static final long GUARD_BYTES = 2L << 20;

    private final int memfd;
    private final List<MemorySegment> reservations;
    private boolean closed;

    private MemfdGuestMemory(List<GuestRegion> regions, List<MemorySegment> reservations, int memfd) {
        super(regions);
        this.memfd = memfd;
        this.reservations = reservations;
    }

    /** Allocates {@code sizeBytes} of RAM (a multiple of 4 KiB), split around the PCI hole. */
    public static MemfdGuestMemory allocate(long sizeBytes) {
        if (sizeBytes <= 0 || (sizeBytes & 0xfff) != 0) {
            throw new IllegalArgumentException("guest RAM must be a positive multiple of 4 KiB: " + sizeBytes);
        }
        int fd = Libc.memfdCreate("vireo-guest-ram", Libc.MFD_CLOEXEC);
        List<GuestRegion> regions = new ArrayList<>(2);
        List<MemorySegment> reservations = new ArrayList<>(2);
        try {
            Libc.ftruncate(fd, sizeBytes);
            long low = Math.min(sizeBytes, PCI_HOLE_START);
            regions.add(map(fd, 0, 0, low, reservations));
            if (sizeBytes > low) {
                regions.add(map(fd, PCI_HOLE_END, low, sizeBytes - low, reservations));
            }
            return new MemfdGuestMemory(regions, reservations, fd);
        } catch (RuntimeException e) {
            for (MemorySegment r : reservations) {
                Libc.munmap(r);
            }
            Libc.closeQuietly(fd);
            throw e;
        }
    }

    private static GuestRegion map(int fd, long gpa, long fileOffset, long size, List<MemorySegment> reservations) {
        // The reservation: PROT_NONE, private, anonymous, NORESERVE: address space only, no memory.
        MemorySegment reservation = Libc.mmap(0, size + 2 * GUARD_BYTES, Libc.PROT_NONE,
            Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
        reservations.add(reservation);
        // MAP_FIXED over the middle of our own reservation (never over someone else's mapping).
        // MAP_NORESERVE: a 64 GiB guest that touches 1 GiB costs 1 GiB.
        MemorySegment seg = Libc.mmap(reservation.address() + GUARD_BYTES, size, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_SHARED | Libc.MAP_NORESERVE | Libc.MAP_FIXED, fd, fileOffset);
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
        // One munmap per reservation removes the region and its guards together.
        for (MemorySegment r : reservations) {
            Libc.munmap(r);
        }
        Libc.closeQuietly(memfd);
    }
}
