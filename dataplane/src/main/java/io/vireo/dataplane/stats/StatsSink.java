package io.vireo.dataplane.stats;

/** Receives counters from a {@link StatsSource}. */
@FunctionalInterface
public interface StatsSink {
    void counter(String name, long value);
}
