package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_lapic_state} for KVM_GET_LAPIC / KVM_SET_LAPIC: the xAPIC register page, 1024 bytes, each
 * register at its MMIO offset (e.g. SVR at 0xf0, TPR at 0x80).
 */
public final class KvmLapicStateLayout {

    public static final int KVM_APIC_REG_SIZE = 0x400;

    public static final StructLayout LAYOUT = structLayout(
        sequenceLayout(KVM_APIC_REG_SIZE, JAVA_BYTE).withName("regs")).withName("kvm_lapic_state");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long REGS_OFFSET = Layouts.offset(LAYOUT, "regs");

    private KvmLapicStateLayout() {
    }
}
