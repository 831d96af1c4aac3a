package io.vireo.dataplane.stats;

/**
 * One counter of a typed set: implemented by an enum per kind of owner (a queue, a device, an agent). The constant
 * is the counter's one name: {@code BlkCounter.BYTES_READ} in the code is {@code bytes_read} in the {@code --stats}
 * report and the JSON ({@link Counters#label}).
 */
public interface Counter {

    /** The enum constant's name. */
    String name();

    /** The enum constant's ordinal: the counter's slot in its set. */
    int ordinal();

    /** Whether the one-line per-queue summary of {@code --verbose} shows this counter. */
    default boolean inSummary() {
        return false;
    }
}
