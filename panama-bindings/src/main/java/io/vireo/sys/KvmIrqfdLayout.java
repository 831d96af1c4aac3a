package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_irqfd} for KVM_IRQFD: {@code fd, gsi, flags, resamplefd} (u32 each), {@code pad[16]}. */
public final class KvmIrqfdLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("fd"),
        JAVA_INT.withName("gsi"),
        JAVA_INT.withName("flags"),
        JAVA_INT.withName("resamplefd"),
        sequenceLayout(16, JAVA_BYTE).withName("pad")).withName("kvm_irqfd");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long FD_OFFSET = Layouts.offset(LAYOUT, "fd");
    public static final long GSI_OFFSET = Layouts.offset(LAYOUT, "gsi");
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");
    public static final long RESAMPLEFD_OFFSET = Layouts.offset(LAYOUT, "resamplefd");

    private KvmIrqfdLayout() {
    }
}
