package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_signal_mask} for KVM_SET_SIGNAL_MASK: {@code len u32}, then {@code len} bytes of sigset at
 * {@link #SIGSET_OFFSET}. {@code len} must be the <em>kernel's</em> sigset size, {@link #KERNEL_SIGSET_BYTES} (8),
 * not glibc's 128-byte {@code sigset_t}, or the ioctl fails with EINVAL.
 */
public final class KvmSignalMaskLayout {

    public static final int KERNEL_SIGSET_BYTES = 8;

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("len")).withName("kvm_signal_mask");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long LEN_OFFSET = Layouts.offset(LAYOUT, "len");
    public static final long SIGSET_OFFSET = SIZE;

    private KvmSignalMaskLayout() {
    }
}
