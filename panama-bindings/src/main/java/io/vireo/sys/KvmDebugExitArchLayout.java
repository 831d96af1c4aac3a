package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_debug_exit_arch} (x86): {@code kvm_run.debug.arch} after a KVM_EXIT_DEBUG (32 bytes). */
public final class KvmDebugExitArchLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("exception"),
        JAVA_INT.withName("pad"),
        JAVA_LONG.withName("pc"),
        JAVA_LONG.withName("dr6"),
        JAVA_LONG.withName("dr7")).withName("kvm_debug_exit_arch");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long EXCEPTION_OFFSET = Layouts.offset(LAYOUT, "exception");
    public static final long PC_OFFSET = Layouts.offset(LAYOUT, "pc");
    public static final long DR6_OFFSET = Layouts.offset(LAYOUT, "dr6");
    public static final long DR7_OFFSET = Layouts.offset(LAYOUT, "dr7");

    private KvmDebugExitArchLayout() {
    }
}
