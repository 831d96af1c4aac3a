package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_ioeventfd} for KVM_IOEVENTFD (64 bytes):
 * {@code datamatch u64, addr u64, len u32 (0 = any length), fd s32, flags u32, pad[36]}.
 */
public final class KvmIoeventfdLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_LONG.withName("datamatch"),
        JAVA_LONG.withName("addr"),
        JAVA_INT.withName("len"),
        JAVA_INT.withName("fd"),
        JAVA_INT.withName("flags"),
        sequenceLayout(36, JAVA_BYTE).withName("pad")).withName("kvm_ioeventfd");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long DATAMATCH_OFFSET = Layouts.offset(LAYOUT, "datamatch");
    public static final long ADDR_OFFSET = Layouts.offset(LAYOUT, "addr");
    public static final long LEN_OFFSET = Layouts.offset(LAYOUT, "len");
    public static final long FD_OFFSET = Layouts.offset(LAYOUT, "fd");
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");

    private KvmIoeventfdLayout() {
    }
}
