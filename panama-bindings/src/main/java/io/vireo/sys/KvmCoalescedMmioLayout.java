package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_coalesced_mmio}: one buffered write, {@code phys_addr u64, len u32, pio u32, data[8]}. */
public final class KvmCoalescedMmioLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_LONG.withName("phys_addr"),
        JAVA_INT.withName("len"),
        JAVA_INT.withName("pio"),
        sequenceLayout(8, JAVA_BYTE).withName("data")).withName("kvm_coalesced_mmio");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long PHYS_ADDR_OFFSET = Layouts.offset(LAYOUT, "phys_addr");
    public static final long LEN_OFFSET = Layouts.offset(LAYOUT, "len");
    public static final long PIO_OFFSET = Layouts.offset(LAYOUT, "pio");
    public static final long DATA_OFFSET = Layouts.offset(LAYOUT, "data");

    private KvmCoalescedMmioLayout() {
    }
}
