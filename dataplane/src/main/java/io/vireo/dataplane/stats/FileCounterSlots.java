package io.vireo.dataplane.stats;

import org.agrona.concurrent.status.AtomicCounter;

/**
 * {@link CounterSlots} in a {@link CountersFile}: each slot an agrona {@link AtomicCounter} (its own 128-byte line of
 * the values buffer), so another process that maps the file sees the counters move. The single writer adds with a
 * plain load and a release store ({@code getAndAddRelease}: no atomic instruction, no lock); readers load with acquire.
 */
final class FileCounterSlots implements CounterSlots {
    private final AtomicCounter[] counters;

    FileCounterSlots(AtomicCounter[] counters) {
        this.counters = counters;
    }

    @Override
    public int size() {
        return counters.length;
    }

    @Override
    public long get(int slot) {
        return counters[slot].getAcquire();
    }

    @Override
    public void add(int slot, long delta) {
        counters[slot].getAndAddRelease(delta);
    }
}
