package io.vireo.dataplane.virtio.queue;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.memory.GuestRegion;

import java.lang.foreign.Arena;
import java.util.List;

/**
 * Small guest RAM for queue tests and benchmarks: {@link #LOW_SIZE} bytes at GPA 0 and {@link #HIGH_SIZE} bytes at
 * {@link #HIGH_GPA}, with a hole between them. Page-aligned, so ring alignment in GPA is alignment in the host too.
 */
public final class TestGuestMemory {
    public static final long LOW_SIZE = 4L << 20;
    public static final long HIGH_GPA = 1L << 32;
    public static final long HIGH_SIZE = 1L << 20;
    /** Where {@link #create} users put their rings by convention. */
    public static final long RING_GPA = 0x1000;
    /** Where buffers start by convention (above rings of any size). */
    public static final long DATA_GPA = 1L << 20;

    private TestGuestMemory() {
    }

    public static GuestMemory create(Arena arena) {
        return new GuestMemory(List.of(new GuestRegion(0, arena.allocate(LOW_SIZE, 4096), 0),
            new GuestRegion(HIGH_GPA, arena.allocate(HIGH_SIZE, 4096), LOW_SIZE)));
    }

    /** Two regions that touch at {@code 1 MiB}: still two regions, a ring may not straddle them. */
    public static GuestMemory adjacent(Arena arena) {
        long mib = 1L << 20;
        return new GuestMemory(List.of(new GuestRegion(0, arena.allocate(mib, 4096), 0),
            new GuestRegion(mib, arena.allocate(mib, 4096), mib)));
    }
}
