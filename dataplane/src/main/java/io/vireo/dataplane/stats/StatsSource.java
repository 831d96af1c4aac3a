package io.vireo.dataplane.stats;

/**
 * Something that keeps counters (a device, a queue worker): reports them by name when asked. Counters are plain
 * longs written by their owning thread; a report from another thread is a monitoring snapshot, not an atomic one.
 */
@FunctionalInterface
public interface StatsSource {
    /** Calls {@code sink.counter} once per counter, names stable (e.g. {@code "requests"}). */
    void report(StatsSink sink);
}
