package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_fpu} for KVM_GET_FPU / KVM_SET_FPU, in FXSAVE order (416 bytes). */
public final class KvmFpuLayout {

    public static final StructLayout LAYOUT = structLayout(
        sequenceLayout(8, sequenceLayout(16, JAVA_BYTE)).withName("fpr"),
        JAVA_SHORT.withName("fcw"),
        JAVA_SHORT.withName("fsw"),
        JAVA_BYTE.withName("ftwx"),
        JAVA_BYTE.withName("pad1"),
        JAVA_SHORT.withName("last_opcode"),
        JAVA_LONG.withName("last_ip"),
        JAVA_LONG.withName("last_dp"),
        sequenceLayout(16, sequenceLayout(16, JAVA_BYTE)).withName("xmm"),
        JAVA_INT.withName("mxcsr"),
        JAVA_INT.withName("pad2")).withName("kvm_fpu");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long FPR_OFFSET = Layouts.offset(LAYOUT, "fpr");
    public static final long FCW_OFFSET = Layouts.offset(LAYOUT, "fcw");
    public static final long FSW_OFFSET = Layouts.offset(LAYOUT, "fsw");
    public static final long FTWX_OFFSET = Layouts.offset(LAYOUT, "ftwx");
    public static final long LAST_OPCODE_OFFSET = Layouts.offset(LAYOUT, "last_opcode");
    public static final long LAST_IP_OFFSET = Layouts.offset(LAYOUT, "last_ip");
    public static final long LAST_DP_OFFSET = Layouts.offset(LAYOUT, "last_dp");
    public static final long XMM_OFFSET = Layouts.offset(LAYOUT, "xmm");
    public static final long MXCSR_OFFSET = Layouts.offset(LAYOUT, "mxcsr");

    private KvmFpuLayout() {
    }
}
