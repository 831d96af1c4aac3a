package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_vcpu_events} for KVM_GET_VCPU_EVENTS / KVM_SET_VCPU_EVENTS (64 bytes): pending and injected
 * exception, interrupt and NMI state. The sub-structs are named as in C.
 */
public final class KvmVcpuEventsLayout {

    public static final StructLayout LAYOUT = structLayout(
        structLayout(
            JAVA_BYTE.withName("injected"),
            JAVA_BYTE.withName("nr"),
            JAVA_BYTE.withName("has_error_code"),
            JAVA_BYTE.withName("pending"),
            JAVA_INT.withName("error_code")).withName("exception"),
        structLayout(
            JAVA_BYTE.withName("injected"),
            JAVA_BYTE.withName("nr"),
            JAVA_BYTE.withName("soft"),
            JAVA_BYTE.withName("shadow")).withName("interrupt"),
        structLayout(
            JAVA_BYTE.withName("injected"),
            JAVA_BYTE.withName("pending"),
            JAVA_BYTE.withName("masked"),
            JAVA_BYTE.withName("pad")).withName("nmi"),
        JAVA_INT.withName("sipi_vector"),
        JAVA_INT.withName("flags"),
        structLayout(
            JAVA_BYTE.withName("smm"),
            JAVA_BYTE.withName("pending"),
            JAVA_BYTE.withName("smm_inside_nmi"),
            JAVA_BYTE.withName("latched_init")).withName("smi"),
        JAVA_BYTE.withName("triple_fault_pending"),
        sequenceLayout(26, JAVA_BYTE).withName("reserved"),
        JAVA_BYTE.withName("exception_has_payload"),
        JAVA_LONG.withName("exception_payload")).withName("kvm_vcpu_events");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long EXCEPTION_INJECTED_OFFSET = Layouts.offset(LAYOUT, "exception", "injected");
    public static final long EXCEPTION_NR_OFFSET = Layouts.offset(LAYOUT, "exception", "nr");
    public static final long EXCEPTION_HAS_ERROR_CODE_OFFSET = Layouts.offset(LAYOUT, "exception", "has_error_code");
    public static final long EXCEPTION_PENDING_OFFSET = Layouts.offset(LAYOUT, "exception", "pending");
    public static final long EXCEPTION_ERROR_CODE_OFFSET = Layouts.offset(LAYOUT, "exception", "error_code");
    public static final long INTERRUPT_INJECTED_OFFSET = Layouts.offset(LAYOUT, "interrupt", "injected");
    public static final long INTERRUPT_NR_OFFSET = Layouts.offset(LAYOUT, "interrupt", "nr");
    public static final long INTERRUPT_SOFT_OFFSET = Layouts.offset(LAYOUT, "interrupt", "soft");
    public static final long INTERRUPT_SHADOW_OFFSET = Layouts.offset(LAYOUT, "interrupt", "shadow");
    public static final long NMI_INJECTED_OFFSET = Layouts.offset(LAYOUT, "nmi", "injected");
    public static final long NMI_PENDING_OFFSET = Layouts.offset(LAYOUT, "nmi", "pending");
    public static final long NMI_MASKED_OFFSET = Layouts.offset(LAYOUT, "nmi", "masked");
    public static final long SIPI_VECTOR_OFFSET = Layouts.offset(LAYOUT, "sipi_vector");
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");
    public static final long SMI_SMM_OFFSET = Layouts.offset(LAYOUT, "smi", "smm");
    public static final long SMI_PENDING_OFFSET = Layouts.offset(LAYOUT, "smi", "pending");
    public static final long TRIPLE_FAULT_PENDING_OFFSET = Layouts.offset(LAYOUT, "triple_fault_pending");
    public static final long EXCEPTION_HAS_PAYLOAD_OFFSET = Layouts.offset(LAYOUT, "exception_has_payload");
    public static final long EXCEPTION_PAYLOAD_OFFSET = Layouts.offset(LAYOUT, "exception_payload");

    private KvmVcpuEventsLayout() {
    }
}
