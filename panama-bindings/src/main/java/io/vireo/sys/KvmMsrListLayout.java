package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_msr_list} for KVM_GET_MSR_INDEX_LIST: {@code nmsrs u32}, then {@code nmsrs} u32 MSR indices at
 * {@link #INDICES_OFFSET}. With too small an nmsrs the ioctl fails with E2BIG and writes the needed count.
 */
public final class KvmMsrListLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("nmsrs")).withName("kvm_msr_list");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long NMSRS_OFFSET = Layouts.offset(LAYOUT, "nmsrs");
    public static final long INDICES_OFFSET = SIZE;

    private KvmMsrListLayout() {
    }

    /** @return bytes for the header and {@code indices} indices */
    public static long sizeFor(final int indices) {
        return INDICES_OFFSET + (long) indices * Integer.BYTES;
    }
}
