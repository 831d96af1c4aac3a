package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_msr_entry}: {@code index u32, reserved u32, data u64} (16 bytes). */
public final class KvmMsrEntryLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("index"),
        JAVA_INT.withName("reserved"),
        JAVA_LONG.withName("data")).withName("kvm_msr_entry");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long INDEX_OFFSET = Layouts.offset(LAYOUT, "index");
    public static final long DATA_OFFSET = Layouts.offset(LAYOUT, "data");

    private KvmMsrEntryLayout() {
    }
}
