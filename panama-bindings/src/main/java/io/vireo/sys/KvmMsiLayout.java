package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_msi} for KVM_SIGNAL_MSI (32 bytes):
 * {@code address_lo, address_hi, data, flags, devid} (u32 each), {@code pad[12]}.
 */
public final class KvmMsiLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("address_lo"),
        JAVA_INT.withName("address_hi"),
        JAVA_INT.withName("data"),
        JAVA_INT.withName("flags"),
        JAVA_INT.withName("devid"),
        sequenceLayout(12, JAVA_BYTE).withName("pad")).withName("kvm_msi");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long ADDRESS_LO_OFFSET = Layouts.offset(LAYOUT, "address_lo");
    public static final long ADDRESS_HI_OFFSET = Layouts.offset(LAYOUT, "address_hi");
    public static final long DATA_OFFSET = Layouts.offset(LAYOUT, "data");
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");
    public static final long DEVID_OFFSET = Layouts.offset(LAYOUT, "devid");

    private KvmMsiLayout() {
    }
}
