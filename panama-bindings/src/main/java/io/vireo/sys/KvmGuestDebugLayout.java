package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_guest_debug} for KVM_SET_GUEST_DEBUG: control flags, then x86 {@code debugreg[8]} (72 bytes). */
public final class KvmGuestDebugLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("control"),
        JAVA_INT.withName("pad"),
        sequenceLayout(8, JAVA_LONG).withName("debugreg")).withName("kvm_guest_debug");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long CONTROL_OFFSET = Layouts.offset(LAYOUT, "control");
    public static final long DEBUGREG_OFFSET = Layouts.offset(LAYOUT, "debugreg");

    private KvmGuestDebugLayout() {
    }
}
