package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_irq_level} for KVM_IRQ_LINE(_STATUS): {@code union {irq u32; status s32}, level u32} (8 bytes).
 * KVM_IRQ_LINE_STATUS writes the delivery status over {@code irq}.
 */
public final class KvmIrqLevelLayout {

    public static final StructLayout LAYOUT = structLayout(
        unionLayout(
            JAVA_INT.withName("irq"),
            JAVA_INT.withName("status")).withName("u"),
        JAVA_INT.withName("level")).withName("kvm_irq_level");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long IRQ_OFFSET = Layouts.offset(LAYOUT, "u", "irq");
    public static final long STATUS_OFFSET = Layouts.offset(LAYOUT, "u", "status");
    public static final long LEVEL_OFFSET = Layouts.offset(LAYOUT, "level");

    private KvmIrqLevelLayout() {
    }
}
