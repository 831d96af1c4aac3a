package io.vireo.dataplane.virtio.queue;

/**
 * Result codes of the split queue: plain {@code int}s so the hot path neither allocates nor boxes.
 *
 * <p>Three tiers, and what a device does with each:
 * <ul>
 *   <li>{@link #OK} / {@link #EMPTY}: a chain was popped, or there is nothing to pop.</li>
 *   <li>Request-level ({@link #isRequestError}): one chain is malformed. It has been consumed and
 *       {@link DescriptorChain#headId()} is valid: complete it ({@code pushUsed(head, 0)}), log
 *       {@link #describe} with {@link DescriptorChain#errorValue()}, and go on with the next chain.</li>
 *   <li>Queue-level ({@link #isQueueError}): the rings themselves cannot be trusted (or could not be enabled).
 *       The queue is stuck until {@link SplitQueue#reset()}: the device sets DEVICE_NEEDS_RESET (§2.1.1) and raises
 *       a configuration-change interrupt; the rest of the VMM goes on.</li>
 * </ul>
 */
public final class QueueError {
    public static final int OK = 0;
    public static final int EMPTY = 1;

    // Request-level: the chain is consumed; complete its head id with an error.
    /** §2.7.5: a buffer [addr, addr+len) is not inside one guest RAM region. */
    public static final int DESC_OUT_OF_RAM = 10;
    /** §2.7.5: {@code next} is not below the queue size (or the indirect table's entry count). */
    public static final int NEXT_OUT_OF_RANGE = 11;
    /** §2.7.5.2: the chain visits more descriptors than its table holds, so it loops. */
    public static final int CHAIN_LOOP = 12;
    /** §2.7.5.3.1: the chain is longer than the Queue Size (or than the device's {@link DescriptorChain#capacity}). */
    public static final int CHAIN_TOO_LONG = 13;
    /** §2.7.5.2: the chain's buffers add up to 2^32 bytes or more. */
    public static final int TOTAL_LEN_OVERFLOW = 14;
    /** §2.7.4.2: a device-readable descriptor follows a device-writable one. */
    public static final int WRITABLE_BEFORE_READABLE = 15;
    /** §2.7.5.3.1: INDIRECT set but VIRTIO_F_INDIRECT_DESC was not negotiated. */
    public static final int INDIRECT_NOT_NEGOTIATED = 16;
    /** §2.7.5.3: an indirect table whose length is zero or not a multiple of 16. */
    public static final int INDIRECT_BAD_LEN = 17;
    /** §2.7.5.3: an indirect table that is not inside one guest RAM region. */
    public static final int INDIRECT_OUT_OF_RAM = 18;
    /** §2.7.5.3.1: INDIRECT set inside an indirect table. */
    public static final int INDIRECT_NESTED = 19;
    /** §2.7.5.3.1: INDIRECT and NEXT both set on one descriptor. */
    public static final int INDIRECT_WITH_NEXT = 20;

    // Queue-level: NEEDS_RESET.
    /** §2.7.6: avail idx moved by more than the queue size since the device last looked. */
    public static final int AVAIL_IDX_CORRUPT = 40;
    /** §2.7.6: a head id in the available ring is not below the queue size; it cannot even be completed. */
    public static final int HEAD_OUT_OF_RANGE = 41;
    /** §2.7: Queue Size is zero, not a power of two or above the device's maximum. */
    public static final int BAD_QUEUE_SIZE = 42;
    /** §2.7: the descriptor table is not 16-byte aligned. */
    public static final int DESC_TABLE_MISALIGNED = 43;
    /** §2.7: the available ring is not 2-byte aligned. */
    public static final int AVAIL_RING_MISALIGNED = 44;
    /** §2.7: the used ring is not 4-byte aligned. */
    public static final int USED_RING_MISALIGNED = 45;
    /** §2.7: the descriptor table is not inside one guest RAM region. */
    public static final int DESC_TABLE_OUT_OF_RAM = 46;
    /** §2.7: the available ring (with used_event under EVENT_IDX) is not inside one guest RAM region. */
    public static final int AVAIL_RING_OUT_OF_RAM = 47;
    /** §2.7: the used ring (with avail_event under EVENT_IDX) is not inside one guest RAM region. */
    public static final int USED_RING_OUT_OF_RAM = 48;

    private static final int FIRST_REQUEST = 10;
    private static final int LAST_REQUEST = 20;
    private static final int FIRST_QUEUE = 40;
    private static final int LAST_QUEUE = 48;

    private static final String[] NAMES = new String[LAST_QUEUE + 1];
    private static final String[] WHY = new String[LAST_QUEUE + 1];

    static {
        define(OK, "OK", "chain popped");
        define(EMPTY, "EMPTY", "no available chain");
        define(DESC_OUT_OF_RAM, "DESC_OUT_OF_RAM", "§2.7.5 buffer outside guest RAM");
        define(NEXT_OUT_OF_RANGE, "NEXT_OUT_OF_RANGE", "§2.7.5 next index beyond the table");
        define(CHAIN_LOOP, "CHAIN_LOOP", "§2.7.5.2 descriptor chain loops");
        define(CHAIN_TOO_LONG, "CHAIN_TOO_LONG", "§2.7.5.3.1 chain longer than the queue size");
        define(TOTAL_LEN_OVERFLOW, "TOTAL_LEN_OVERFLOW", "§2.7.5.2 chain of 2^32 bytes or more");
        define(WRITABLE_BEFORE_READABLE, "WRITABLE_BEFORE_READABLE",
            "§2.7.4.2 device-readable descriptor after a device-writable one");
        define(INDIRECT_NOT_NEGOTIATED, "INDIRECT_NOT_NEGOTIATED",
            "§2.7.5.3.1 INDIRECT without VIRTIO_F_INDIRECT_DESC");
        define(INDIRECT_BAD_LEN, "INDIRECT_BAD_LEN", "§2.7.5.3 indirect table length zero or not a multiple of 16");
        define(INDIRECT_OUT_OF_RAM, "INDIRECT_OUT_OF_RAM", "§2.7.5.3 indirect table outside guest RAM");
        define(INDIRECT_NESTED, "INDIRECT_NESTED", "§2.7.5.3.1 INDIRECT inside an indirect table");
        define(INDIRECT_WITH_NEXT, "INDIRECT_WITH_NEXT", "§2.7.5.3.1 INDIRECT and NEXT on one descriptor");
        define(AVAIL_IDX_CORRUPT, "AVAIL_IDX_CORRUPT", "§2.7.6 avail idx moved by more than the queue size");
        define(HEAD_OUT_OF_RANGE, "HEAD_OUT_OF_RANGE", "§2.7.6 avail ring head beyond the queue size");
        define(BAD_QUEUE_SIZE, "BAD_QUEUE_SIZE", "§2.7 queue size zero, not a power of two or too large");
        define(DESC_TABLE_MISALIGNED, "DESC_TABLE_MISALIGNED", "§2.7 descriptor table not 16-byte aligned");
        define(AVAIL_RING_MISALIGNED, "AVAIL_RING_MISALIGNED", "§2.7 available ring not 2-byte aligned");
        define(USED_RING_MISALIGNED, "USED_RING_MISALIGNED", "§2.7 used ring not 4-byte aligned");
        define(DESC_TABLE_OUT_OF_RAM, "DESC_TABLE_OUT_OF_RAM", "§2.7 descriptor table outside guest RAM");
        define(AVAIL_RING_OUT_OF_RAM, "AVAIL_RING_OUT_OF_RAM", "§2.7 available ring outside guest RAM");
        define(USED_RING_OUT_OF_RAM, "USED_RING_OUT_OF_RAM", "§2.7 used ring outside guest RAM");
    }

    private QueueError() {
    }

    private static void define(int code, String name, String why) {
        NAMES[code] = name;
        WHY[code] = why;
    }

    /** A malformed chain: complete {@link DescriptorChain#headId()} with an error and go on. */
    public static boolean isRequestError(int code) {
        return code >= FIRST_REQUEST && code <= LAST_REQUEST;
    }

    /** The queue is unusable until reset: set DEVICE_NEEDS_RESET. */
    public static boolean isQueueError(int code) {
        return code >= FIRST_QUEUE && code <= LAST_QUEUE;
    }

    /** The constant's name, e.g. {@code "CHAIN_LOOP"}. */
    public static String name(int code) {
        String n = code >= 0 && code < NAMES.length ? NAMES[code] : null;
        return n != null ? n : "UNKNOWN(" + code + ")";
    }

    /** Name and the spec rule it enforces, for a log line. */
    public static String describe(int code) {
        String w = code >= 0 && code < WHY.length ? WHY[code] : null;
        return w != null ? name(code) + ": " + w : name(code);
    }
}
