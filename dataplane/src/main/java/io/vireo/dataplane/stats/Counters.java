package io.vireo.dataplane.stats;

import java.util.List;
import java.util.Locale;

/**
 * A typed set of counters: one slot per constant of the enum {@code E}, written by one thread (the set's owner),
 * read by any. The counter's name in reports is {@link #label} of its constant, so the field, the {@code --stats}
 * report and the JSON use the one name. Nothing here allocates after construction.
 *
 * @param <E> the enum naming the counters
 */
public final class Counters<E extends Enum<E> & Counter> implements StatsSource {
    private final E[] keys;
    private final String[] labels;
    private final CounterSlots slots;

    /** The counters of {@code type} on the heap. */
    public Counters(Class<E> type) {
        this(type, CounterSlots.onHeap(type.getEnumConstants().length));
    }

    /** The counters of {@code type} in {@code slots} (one slot per constant, by ordinal). */
    public Counters(Class<E> type, CounterSlots slots) {
        this.keys = type.getEnumConstants();
        if (slots.size() != keys.length) {
            throw new IllegalArgumentException(type.getSimpleName() + " has " + keys.length + " counters, slots="
                + slots.size());
        }
        this.labels = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            labels[i] = label(keys[i]);
        }
        this.slots = slots;
    }

    /** The report name of a counter: its constant's name in lower case ({@code BYTES_READ} → {@code bytes_read}). */
    public static String label(Counter counter) {
        return counter.name().toLowerCase(Locale.ROOT);
    }

    /** Adds one. Owner thread only. */
    public void increment(E counter) {
        slots.add(counter.ordinal(), 1);
    }

    /** Adds {@code delta}. Owner thread only. */
    public void add(E counter, long delta) {
        slots.add(counter.ordinal(), delta);
    }

    /** The current value; any thread. */
    public long get(E counter) {
        return slots.get(counter.ordinal());
    }

    /** The counters' names, by ordinal. */
    public E[] keys() {
        return keys.clone();
    }

    /** Every counter, in declaration order. */
    @Override
    public void report(StatsSink sink) {
        for (int i = 0; i < keys.length; i++) {
            sink.counter(labels[i], slots.get(i));
        }
    }

    /** The counters marked {@link Counter#inSummary()}, in declaration order. */
    public void reportSummary(StatsSink sink) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i].inSummary()) {
                sink.counter(labels[i], slots.get(i));
            }
        }
    }

    /**
     * Reports the sums over several sets of the same type, in declaration order (e.g. a device's queues).
     */
    public static <E extends Enum<E> & Counter> void reportSum(Class<E> type, StatsSink sink, List<Counters<E>> sets) {
        for (E key : type.getEnumConstants()) {
            long total = 0;
            for (Counters<E> s : sets) {
                total += s.get(key);
            }
            sink.counter(label(key), total);
        }
    }
}
