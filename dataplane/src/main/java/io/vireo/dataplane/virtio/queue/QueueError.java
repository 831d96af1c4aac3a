package io.vireo.dataplane.virtio.queue;

/**
 * Result of the split queue's enable and pop: an enum constant, so the hot path neither allocates nor boxes, and each
 * code carries its tier, the virtio 1.2 section it enforces and why, in one place.
 *
 * <p>Three tiers ({@link Tier}), and what a device does with each:
 * <ul>
 *   <li>{@link Tier#NONE} ({@link #OK} / {@link #EMPTY}): a chain was popped, or there is nothing to pop.</li>
 *   <li>{@link Tier#BAD_REQUEST}: one chain is malformed. It has been consumed and {@link DescriptorChain#headId()}
 *       is valid: complete it ({@code pushUsed(head, 0)}), log {@link #describe} with
 *       {@link DescriptorChain#errorValue()}, and go on with the next chain.</li>
 *   <li>{@link Tier#NEEDS_RESET}: the rings themselves cannot be trusted (or could not be enabled). The queue is
 *       stuck until {@link SplitQueue#reset()}: the device sets DEVICE_NEEDS_RESET (§2.1.1) and raises a
 *       configuration-change interrupt; the rest of the VMM goes on.</li>
 * </ul>
 */
public enum QueueError implements GuestFault {
    OK(Tier.NONE, "", "chain popped"),
    EMPTY(Tier.NONE, "", "no available chain"),

    // Request-level: the chain is consumed; complete its head id with an error.
    /** A buffer [addr, addr+len) is not inside one guest RAM region. */
    DESC_OUT_OF_RAM(Tier.BAD_REQUEST, "2.7.5", "buffer outside guest RAM"),
    /** {@code next} is not below the queue size (or the indirect table's entry count). */
    NEXT_OUT_OF_RANGE(Tier.BAD_REQUEST, "2.7.5", "next index beyond the table"),
    /** The chain visits more descriptors than its table holds, so it loops. */
    CHAIN_LOOP(Tier.BAD_REQUEST, "2.7.5.2", "descriptor chain loops"),
    /** The chain is longer than the Queue Size (or than the device's {@link DescriptorChain#capacity}). */
    CHAIN_TOO_LONG(Tier.BAD_REQUEST, "2.7.5.3.1", "chain longer than the queue size"),
    /** The chain's buffers add up to 2^32 bytes or more. */
    TOTAL_LEN_OVERFLOW(Tier.BAD_REQUEST, "2.7.5.2", "chain of 2^32 bytes or more"),
    /** A device-readable descriptor follows a device-writable one. */
    WRITABLE_BEFORE_READABLE(Tier.BAD_REQUEST, "2.7.4.2", "device-readable descriptor after a device-writable one"),
    /** INDIRECT set but VIRTIO_F_INDIRECT_DESC was not negotiated. */
    INDIRECT_NOT_NEGOTIATED(Tier.BAD_REQUEST, "2.7.5.3.1", "INDIRECT without VIRTIO_F_INDIRECT_DESC"),
    /** An indirect table whose length is zero or not a multiple of 16. */
    INDIRECT_BAD_LEN(Tier.BAD_REQUEST, "2.7.5.3", "indirect table length zero or not a multiple of 16"),
    /** An indirect table that is not inside one guest RAM region. */
    INDIRECT_OUT_OF_RAM(Tier.BAD_REQUEST, "2.7.5.3", "indirect table outside guest RAM"),
    /** INDIRECT set inside an indirect table. */
    INDIRECT_NESTED(Tier.BAD_REQUEST, "2.7.5.3.1", "INDIRECT inside an indirect table"),
    /** INDIRECT and NEXT both set on one descriptor. */
    INDIRECT_WITH_NEXT(Tier.BAD_REQUEST, "2.7.5.3.1", "INDIRECT and NEXT on one descriptor"),

    // Queue-level: NEEDS_RESET.
    /** Avail idx moved by more than the queue size since the device last looked. */
    AVAIL_IDX_CORRUPT(Tier.NEEDS_RESET, "2.7.6", "avail idx moved by more than the queue size"),
    /** A head id in the available ring is not below the queue size; it cannot even be completed. */
    HEAD_OUT_OF_RANGE(Tier.NEEDS_RESET, "2.7.6", "avail ring head beyond the queue size"),
    /** Queue Size is zero, not a power of two or above the device's maximum. */
    BAD_QUEUE_SIZE(Tier.NEEDS_RESET, "2.7", "queue size zero, not a power of two or too large"),
    /** The descriptor table is not 16-byte aligned. */
    DESC_TABLE_MISALIGNED(Tier.NEEDS_RESET, "2.7", "descriptor table not 16-byte aligned"),
    /** The available ring is not 2-byte aligned. */
    AVAIL_RING_MISALIGNED(Tier.NEEDS_RESET, "2.7", "available ring not 2-byte aligned"),
    /** The used ring is not 4-byte aligned. */
    USED_RING_MISALIGNED(Tier.NEEDS_RESET, "2.7", "used ring not 4-byte aligned"),
    /** The descriptor table is not inside one guest RAM region. */
    DESC_TABLE_OUT_OF_RAM(Tier.NEEDS_RESET, "2.7", "descriptor table outside guest RAM"),
    /** The available ring (with used_event under EVENT_IDX) is not inside one guest RAM region. */
    AVAIL_RING_OUT_OF_RAM(Tier.NEEDS_RESET, "2.7", "available ring outside guest RAM"),
    /** The used ring (with avail_event under EVENT_IDX) is not inside one guest RAM region. */
    USED_RING_OUT_OF_RAM(Tier.NEEDS_RESET, "2.7", "used ring outside guest RAM");

    /** What a device does with a code. */
    public enum Tier {
        /** Not an error: a chain, or none. */
        NONE,
        /** One malformed chain: complete it with used length 0 and go on. */
        BAD_REQUEST,
        /** The rings cannot be trusted: DEVICE_NEEDS_RESET until the driver resets the device. */
        NEEDS_RESET
    }

    private final Tier tier;
    private final String spec;
    private final String reason;

    QueueError(Tier tier, String section, String reason) {
        this.tier = tier;
        this.spec = GuestFault.spec(section);
        this.reason = reason;
    }

    public Tier tier() {
        return tier;
    }

    /** A malformed chain: complete {@link DescriptorChain#headId()} with an error and go on. */
    public boolean isRequestError() {
        return tier == Tier.BAD_REQUEST;
    }

    /** The queue is unusable until reset: set DEVICE_NEEDS_RESET. */
    public boolean needsReset() {
        return tier == Tier.NEEDS_RESET;
    }

    @Override
    public String spec() {
        return spec;
    }

    @Override
    public String reason() {
        return reason;
    }
}
