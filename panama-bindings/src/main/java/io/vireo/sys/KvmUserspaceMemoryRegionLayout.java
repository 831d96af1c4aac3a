package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_userspace_memory_region} for KVM_SET_USER_MEMORY_REGION (32 bytes):
 * {@code slot u32, flags u32, guest_phys_addr u64, memory_size u64, userspace_addr u64}. A size of 0 deletes.
 */
public final class KvmUserspaceMemoryRegionLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("slot"),
        JAVA_INT.withName("flags"),
        JAVA_LONG.withName("guest_phys_addr"),
        JAVA_LONG.withName("memory_size"),
        JAVA_LONG.withName("userspace_addr")).withName("kvm_userspace_memory_region");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long SLOT_OFFSET = Layouts.offset(LAYOUT, "slot");
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");
    public static final long GUEST_PHYS_ADDR_OFFSET = Layouts.offset(LAYOUT, "guest_phys_addr");
    public static final long MEMORY_SIZE_OFFSET = Layouts.offset(LAYOUT, "memory_size");
    public static final long USERSPACE_ADDR_OFFSET = Layouts.offset(LAYOUT, "userspace_addr");

    private KvmUserspaceMemoryRegionLayout() {
    }
}
