package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_cpuid2}: the 8-byte header {@code nent u32, padding u32}, followed by {@code nent}
 * {@link KvmCpuidEntry2Layout} entries at {@link #ENTRIES_OFFSET}.
 */
public final class KvmCpuid2Layout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("nent"),
        JAVA_INT.withName("padding")).withName("kvm_cpuid2");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long NENT_OFFSET = Layouts.offset(LAYOUT, "nent");
    public static final long ENTRIES_OFFSET = SIZE;

    private KvmCpuid2Layout() {
    }

    /** @return bytes for the header and {@code entries} entries */
    public static long sizeFor(final int entries) {
        return ENTRIES_OFFSET + entries * KvmCpuidEntry2Layout.SIZE;
    }
}
