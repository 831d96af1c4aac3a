package io.vireo.dataplane.stats;

/**
 * Where a {@link Counters} set keeps its values: one {@code long} slot per counter, one writer per set, readers on any
 * thread. The storage is swappable: on the heap ({@link #onHeap}) today; a shared counters file that other processes
 * read live (agrona's {@code CountersManager}) can stand behind the same interface.
 */
public interface CounterSlots {

    /** Number of slots. */
    int size();

    /** The value of {@code slot}; any thread, a monitoring read (opaque: never torn, not ordered with other slots). */
    long get(int slot);

    /** Adds {@code delta} to {@code slot}. Only the set's single writer calls this (a plain read, an opaque write). */
    void add(int slot, long delta);

    /** {@code size} slots in a {@code long[]} on the heap. */
    static CounterSlots onHeap(int size) {
        return new HeapCounterSlots(size);
    }
}
