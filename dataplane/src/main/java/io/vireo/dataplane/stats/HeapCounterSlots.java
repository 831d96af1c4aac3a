package io.vireo.dataplane.stats;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** {@link CounterSlots} in a {@code long[]}: opaque stores by the single writer, opaque loads by readers. */
final class HeapCounterSlots implements CounterSlots {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] values;

    HeapCounterSlots(int size) {
        values = new long[size];
    }

    @Override
    public int size() {
        return values.length;
    }

    @Override
    public long get(int slot) {
        // ORDERING: opaque: a reader on another thread sees whole values, eventually; no ordering is promised.
        return (long) SLOT.getOpaque(values, slot);
    }

    @Override
    public void add(int slot, long delta) {
        // ORDERING: single writer, so the plain read is its own last value; the opaque store is never torn for readers
        // (a plain long store may be on 32-bit JVMs) and costs a plain store on x86-64.
        SLOT.setOpaque(values, slot, values[slot] + delta);
    }
}
