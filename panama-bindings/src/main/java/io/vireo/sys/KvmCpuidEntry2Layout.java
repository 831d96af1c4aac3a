package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_cpuid_entry2}: one CPUID leaf/subleaf and its four result registers (40 bytes). */
public final class KvmCpuidEntry2Layout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("function"),
        JAVA_INT.withName("index"),
        JAVA_INT.withName("flags"),
        JAVA_INT.withName("eax"),
        JAVA_INT.withName("ebx"),
        JAVA_INT.withName("ecx"),
        JAVA_INT.withName("edx"),
        sequenceLayout(3, JAVA_INT).withName("padding")).withName("kvm_cpuid_entry2");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long FUNCTION_OFFSET = Layouts.offset(LAYOUT, "function");
    public static final long INDEX_OFFSET = Layouts.offset(LAYOUT, "index");
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");
    public static final long EAX_OFFSET = Layouts.offset(LAYOUT, "eax");
    public static final long EBX_OFFSET = Layouts.offset(LAYOUT, "ebx");
    public static final long ECX_OFFSET = Layouts.offset(LAYOUT, "ecx");
    public static final long EDX_OFFSET = Layouts.offset(LAYOUT, "edx");

    private KvmCpuidEntry2Layout() {
    }
}
