package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_enable_cap} for KVM_ENABLE_CAP: {@code cap u32, flags u32, args u64[4], pad[64]} (104 bytes). */
public final class KvmEnableCapLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("cap"),
        JAVA_INT.withName("flags"),
        sequenceLayout(4, JAVA_LONG).withName("args"),
        sequenceLayout(64, JAVA_BYTE).withName("pad")).withName("kvm_enable_cap");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long CAP_OFFSET = Layouts.offset(LAYOUT, "cap");
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");
    public static final long ARGS_OFFSET = Layouts.offset(LAYOUT, "args");

    private KvmEnableCapLayout() {
    }
}
