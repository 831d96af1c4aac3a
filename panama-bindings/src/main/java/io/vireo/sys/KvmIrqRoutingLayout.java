package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_irq_routing} for KVM_SET_GSI_ROUTING: the 8-byte header {@code nr u32, flags u32}, followed by
 * {@code nr} {@link KvmIrqRoutingEntryLayout} entries at {@link #ENTRIES_OFFSET}. The table replaces the old one.
 */
public final class KvmIrqRoutingLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("nr"),
        JAVA_INT.withName("flags")).withName("kvm_irq_routing");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long NR_OFFSET = Layouts.offset(LAYOUT, "nr");
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");
    public static final long ENTRIES_OFFSET = SIZE;

    private KvmIrqRoutingLayout() {
    }

    /** @return bytes for the header and {@code entries} entries */
    public static long sizeFor(final int entries) {
        return ENTRIES_OFFSET + entries * KvmIrqRoutingEntryLayout.SIZE;
    }
}
