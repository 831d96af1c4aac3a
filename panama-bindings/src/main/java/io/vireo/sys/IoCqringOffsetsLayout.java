package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * {@code struct io_cqring_offsets}, filled by io_uring_setup: where each field of the completion ring lives, as a
 * byte offset into the mmap at {@link IoUringAbi#IORING_OFF_CQ_RING} (the SQ ring mmap when the kernel reports
 * {@link IoUringAbi#IORING_FEAT_SINGLE_MMAP}). u32 fields, then a u64 ({@code resv2}, unused here).
 */
public final class IoCqringOffsetsLayout {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
        JAVA_INT.withName("head"),
        JAVA_INT.withName("tail"),
        JAVA_INT.withName("ring_mask"),
        JAVA_INT.withName("ring_entries"),
        JAVA_INT.withName("overflow"),
        JAVA_INT.withName("cqes"),
        JAVA_INT.withName("flags"),
        JAVA_INT.withName("resv1"),
        JAVA_LONG.withName("resv2")).withName("io_cqring_offsets");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long HEAD_OFFSET = Layouts.offset(LAYOUT, "head");
    public static final long TAIL_OFFSET = Layouts.offset(LAYOUT, "tail");
    public static final long RING_MASK_OFFSET = Layouts.offset(LAYOUT, "ring_mask");
    public static final long RING_ENTRIES_OFFSET = Layouts.offset(LAYOUT, "ring_entries");
    public static final long OVERFLOW_OFFSET = Layouts.offset(LAYOUT, "overflow");
    public static final long CQES_OFFSET = Layouts.offset(LAYOUT, "cqes");
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");

    private IoCqringOffsetsLayout() {
    }
}
