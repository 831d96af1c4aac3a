package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_stats_desc} (16 bytes), followed by the NUL-padded name of {@code header.name_size} bytes at
 * {@link #NAME_OFFSET}: {@code flags u32 (Kvm.KVM_STATS_*), exponent s16, size u16 (number of u64 values),
 * offset u32 (from data_offset), bucket_size u32}.
 */
public final class KvmStatsDescLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("flags"),
        JAVA_SHORT.withName("exponent"),
        JAVA_SHORT.withName("size"),
        JAVA_INT.withName("offset"),
        JAVA_INT.withName("bucket_size")).withName("kvm_stats_desc");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");
    public static final long EXPONENT_OFFSET = Layouts.offset(LAYOUT, "exponent");
    public static final long SIZE_OFFSET = Layouts.offset(LAYOUT, "size");
    public static final long OFFSET_OFFSET = Layouts.offset(LAYOUT, "offset");
    public static final long BUCKET_SIZE_OFFSET = Layouts.offset(LAYOUT, "bucket_size");
    public static final long NAME_OFFSET = SIZE;

    private KvmStatsDescLayout() {
    }

    /** @return the stride between descriptors for a given {@code header.name_size} */
    public static long strideFor(final int nameSize) {
        return SIZE + nameSize;
    }
}
