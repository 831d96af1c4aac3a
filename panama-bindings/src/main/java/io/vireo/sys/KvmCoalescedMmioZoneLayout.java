package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_coalesced_mmio_zone} for KVM_(UN)REGISTER_COALESCED_MMIO: {@code addr u64, size u32, pio u32}. */
public final class KvmCoalescedMmioZoneLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_LONG.withName("addr"),
        JAVA_INT.withName("size"),
        JAVA_INT.withName("pio")).withName("kvm_coalesced_mmio_zone");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long ADDR_OFFSET = Layouts.offset(LAYOUT, "addr");
    public static final long SIZE_OFFSET = Layouts.offset(LAYOUT, "size");
    public static final long PIO_OFFSET = Layouts.offset(LAYOUT, "pio");

    private KvmCoalescedMmioZoneLayout() {
    }
}
