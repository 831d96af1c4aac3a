package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_msrs} for KVM_GET_MSRS / KVM_SET_MSRS: the 8-byte header {@code nmsrs u32, pad u32}, then
 * {@code nmsrs} {@link KvmMsrEntryLayout} entries at {@link #ENTRIES_OFFSET}. The ioctls return how many entries
 * they processed, which may be fewer than nmsrs.
 */
public final class KvmMsrsLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("nmsrs"),
        JAVA_INT.withName("pad")).withName("kvm_msrs");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long NMSRS_OFFSET = Layouts.offset(LAYOUT, "nmsrs");
    public static final long ENTRIES_OFFSET = SIZE;

    private KvmMsrsLayout() {
    }

    /** @return bytes for the header and {@code entries} entries */
    public static long sizeFor(final int entries) {
        return ENTRIES_OFFSET + entries * KvmMsrEntryLayout.SIZE;
    }
}
