package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_irq_routing_entry} (48 bytes): {@code gsi, type, flags, pad} (u32 each), then a 32-byte union
 * {@code u}: {@code irqchip {irqchip, pin}} for type KVM_IRQ_ROUTING_IRQCHIP, or
 * {@code msi {address_lo, address_hi, data, devid}} for type KVM_IRQ_ROUTING_MSI.
 */
public final class KvmIrqRoutingEntryLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_INT.withName("gsi"),
        JAVA_INT.withName("type"),
        JAVA_INT.withName("flags"),
        JAVA_INT.withName("pad"),
        unionLayout(
            structLayout(
                JAVA_INT.withName("irqchip"),
                JAVA_INT.withName("pin")).withName("irqchip"),
            structLayout(
                JAVA_INT.withName("address_lo"),
                JAVA_INT.withName("address_hi"),
                JAVA_INT.withName("data"),
                JAVA_INT.withName("devid")).withName("msi"),
            sequenceLayout(8, JAVA_INT).withName("pad")).withName("u")).withName("kvm_irq_routing_entry");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long GSI_OFFSET = Layouts.offset(LAYOUT, "gsi");
    public static final long TYPE_OFFSET = Layouts.offset(LAYOUT, "type");
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");
    public static final long U_OFFSET = Layouts.offset(LAYOUT, "u");
    public static final long IRQCHIP_IRQCHIP_OFFSET = Layouts.offset(LAYOUT, "u", "irqchip", "irqchip");
    public static final long IRQCHIP_PIN_OFFSET = Layouts.offset(LAYOUT, "u", "irqchip", "pin");
    public static final long MSI_ADDRESS_LO_OFFSET = Layouts.offset(LAYOUT, "u", "msi", "address_lo");
    public static final long MSI_ADDRESS_HI_OFFSET = Layouts.offset(LAYOUT, "u", "msi", "address_hi");
    public static final long MSI_DATA_OFFSET = Layouts.offset(LAYOUT, "u", "msi", "data");
    public static final long MSI_DEVID_OFFSET = Layouts.offset(LAYOUT, "u", "msi", "devid");

    private KvmIrqRoutingEntryLayout() {
    }
}
