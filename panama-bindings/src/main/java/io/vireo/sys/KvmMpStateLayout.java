package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_mp_state}: {@code mp_state u32}, one of {@code Kvm.KVM_MP_STATE_*} (4 bytes). */
public final class KvmMpStateLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("mp_state")).withName("kvm_mp_state");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long MP_STATE_OFFSET = Layouts.offset(LAYOUT, "mp_state");

    private KvmMpStateLayout() {
    }
}
