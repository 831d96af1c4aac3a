package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * {@code struct io_sqring_offsets}, filled by io_uring_setup: where each field of the submission ring lives, as a
 * byte offset into the mmap at {@link IoUringAbi#IORING_OFF_SQ_RING}. Every field is a u32 except the final u64
 * ({@code resv2}, {@code user_addr} in newer headers, unused here).
 */
public final class IoSqringOffsetsLayout {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
        JAVA_INT.withName("head"),
        JAVA_INT.withName("tail"),
        JAVA_INT.withName("ring_mask"),
        JAVA_INT.withName("ring_entries"),
        JAVA_INT.withName("flags"),
        JAVA_INT.withName("dropped"),
        JAVA_INT.withName("array"),
        JAVA_INT.withName("resv1"),
        JAVA_LONG.withName("resv2")).withName("io_sqring_offsets");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long HEAD_OFFSET = Layouts.offset(LAYOUT, "head");
    public static final long TAIL_OFFSET = Layouts.offset(LAYOUT, "tail");
    public static final long RING_MASK_OFFSET = Layouts.offset(LAYOUT, "ring_mask");
    public static final long RING_ENTRIES_OFFSET = Layouts.offset(LAYOUT, "ring_entries");
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");
    public static final long DROPPED_OFFSET = Layouts.offset(LAYOUT, "dropped");
    public static final long ARRAY_OFFSET = Layouts.offset(LAYOUT, "array");

    private IoSqringOffsetsLayout() {
    }
}
