package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_coalesced_mmio_ring}, at page {@code Kvm.KVM_COALESCED_MMIO_PAGE_OFFSET} of the vCPU mmap:
 * {@code first u32} (user space consumes), {@code last u32} (KVM produces), then the {@link KvmCoalescedMmioLayout}
 * entries at {@link #ENTRIES_OFFSET}, as many as fit in the page.
 */
public final class KvmCoalescedMmioRingLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("first"),
        JAVA_INT.withName("last")).withName("kvm_coalesced_mmio_ring");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long FIRST_OFFSET = Layouts.offset(LAYOUT, "first");
    public static final long LAST_OFFSET = Layouts.offset(LAYOUT, "last");
    public static final long ENTRIES_OFFSET = SIZE;

    private KvmCoalescedMmioRingLayout() {
    }

    /** @return how many entries a ring in a page of {@code pageSize} bytes holds */
    public static long capacity(final long pageSize) {
        return (pageSize - ENTRIES_OFFSET) / KvmCoalescedMmioLayout.SIZE;
    }
}
