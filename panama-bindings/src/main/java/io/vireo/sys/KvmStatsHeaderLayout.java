package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_stats_header}, at offset 0 of a KVM_GET_STATS_FD file (24 bytes, u32 each):
 * {@code flags, name_size, num_desc, id_offset, desc_offset, data_offset}. Descriptors start at desc_offset, each
 * {@code KvmStatsDescLayout.SIZE + name_size} bytes; values are u64 at {@code data_offset + desc.offset}.
 */
public final class KvmStatsHeaderLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("flags"),
        JAVA_INT.withName("name_size"),
        JAVA_INT.withName("num_desc"),
        JAVA_INT.withName("id_offset"),
        JAVA_INT.withName("desc_offset"),
        JAVA_INT.withName("data_offset")).withName("kvm_stats_header");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");
    public static final long NAME_SIZE_OFFSET = Layouts.offset(LAYOUT, "name_size");
    public static final long NUM_DESC_OFFSET = Layouts.offset(LAYOUT, "num_desc");
    public static final long ID_OFFSET_OFFSET = Layouts.offset(LAYOUT, "id_offset");
    public static final long DESC_OFFSET_OFFSET = Layouts.offset(LAYOUT, "desc_offset");
    public static final long DATA_OFFSET_OFFSET = Layouts.offset(LAYOUT, "data_offset");

    private KvmStatsHeaderLayout() {
    }
}
