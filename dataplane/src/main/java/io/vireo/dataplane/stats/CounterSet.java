package io.vireo.dataplane.stats;

import org.agrona.concurrent.status.AtomicCounter;

/**
 * One typed set of counters (a queue's, an agent's): one {@link AtomicCounter} per constant of {@code E}, labelled
 * {@code group.name} with the constant's name in lower case, the name the reports and the JSON use too.
 *
 * <p>Single writer per set: {@link #increment} and {@link #add} are a plain load and a release store (agrona's
 * {@code incrementRelease}), no atomic read-modify-write; readers in other threads or processes see every value in
 * order. Nothing allocates after construction.
 */
public final class CounterSet<E extends Enum<E>> {
    private final String group;
    private final E[] keys;
    private final AtomicCounter[] counters;

    public CounterSet(CountersFile file, String group, int typeId, Class<E> type) {
        this.group = group;
        this.keys = type.getEnumConstants();
        this.counters = new AtomicCounter[keys.length];
        for (E k : keys) {
            counters[k.ordinal()] = file.newCounter(group + "." + name(k), typeId);
        }
    }

    /** A set in its own small in-memory counters file (tests, and devices built without a shared file). */
    public static <E extends Enum<E>> CounterSet<E> standalone(String group, Class<E> type) {
        return new CounterSet<>(CountersFile.inMemory(type.getEnumConstants().length), group, 0, type);
    }

    /** The report and label name of a counter: the constant's name in lower case. */
    public static String name(Enum<?> key) {
        return key.name().toLowerCase(java.util.Locale.ROOT);
    }

    public String group() {
        return group;
    }

    /** +1, release store. Owner thread only. */
    public void increment(E key) {
        counters[key.ordinal()].incrementRelease();
    }

    /** +delta, release store. Owner thread only. */
    public void add(E key, long delta) {
        counters[key.ordinal()].getAndAddRelease(delta);
    }

    /** Sets a sampled value (a gauge), release store. Owner thread only. */
    public void set(E key, long value) {
        counters[key.ordinal()].setRelease(value);
    }

    /** The value now (acquire load). Any thread. */
    public long get(E key) {
        return counters[key.ordinal()].getAcquire();
    }

    /** Every counter by name, in declaration order. Any thread (a monitoring snapshot, not an atomic one). */
    public void report(StatsSink sink) {
        for (E k : keys) {
            sink.counter(name(k), counters[k.ordinal()].getAcquire());
        }
    }
}
