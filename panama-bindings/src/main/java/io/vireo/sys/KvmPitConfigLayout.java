package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_pit_config} for KVM_CREATE_PIT2: {@code flags u32, pad u32[15]} (64 bytes). */
public final class KvmPitConfigLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("flags"),
        sequenceLayout(15, JAVA_INT).withName("pad")).withName("kvm_pit_config");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");

    private KvmPitConfigLayout() {
    }
}
