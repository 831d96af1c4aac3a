package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_dtable}: a GDTR or IDTR, {@code base u64, limit u16, padding u16[3]} (16 bytes). */
public final class KvmDtableLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_LONG.withName("base"),
        JAVA_SHORT.withName("limit"),
        sequenceLayout(3, JAVA_SHORT).withName("padding")).withName("kvm_dtable");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long BASE_OFFSET = Layouts.offset(LAYOUT, "base");
    public static final long LIMIT_OFFSET = Layouts.offset(LAYOUT, "limit");

    private KvmDtableLayout() {
    }
}
