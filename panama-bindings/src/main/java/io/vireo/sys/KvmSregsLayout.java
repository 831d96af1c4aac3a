package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_sregs} for KVM_GET_SREGS / KVM_SET_SREGS (312 bytes):
 *
 * <pre>
 *   0   cs ds es fs gs ss tr ldt   8 x kvm_segment (24 bytes each)
 *   192 gdt idt                    2 x kvm_dtable (16 bytes each)
 *   224 cr0 cr2 cr3 cr4 cr8 efer apic_base   u64 each
 *   280 interrupt_bitmap[4]        u64 each: one bit per pending external interrupt vector
 * </pre>
 */
public final class KvmSregsLayout {

    public static final StructLayout LAYOUT = structLayout(
        KvmSegmentLayout.LAYOUT.withName("cs"),
        KvmSegmentLayout.LAYOUT.withName("ds"),
        KvmSegmentLayout.LAYOUT.withName("es"),
        KvmSegmentLayout.LAYOUT.withName("fs"),
        KvmSegmentLayout.LAYOUT.withName("gs"),
        KvmSegmentLayout.LAYOUT.withName("ss"),
        KvmSegmentLayout.LAYOUT.withName("tr"),
        KvmSegmentLayout.LAYOUT.withName("ldt"),
        KvmDtableLayout.LAYOUT.withName("gdt"),
        KvmDtableLayout.LAYOUT.withName("idt"),
        JAVA_LONG.withName("cr0"),
        JAVA_LONG.withName("cr2"),
        JAVA_LONG.withName("cr3"),
        JAVA_LONG.withName("cr4"),
        JAVA_LONG.withName("cr8"),
        JAVA_LONG.withName("efer"),
        JAVA_LONG.withName("apic_base"),
        sequenceLayout((Kvm.KVM_NR_INTERRUPTS + 63) / 64, JAVA_LONG).withName("interrupt_bitmap"))
        .withName("kvm_sregs");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long CS_OFFSET = Layouts.offset(LAYOUT, "cs");
    public static final long DS_OFFSET = Layouts.offset(LAYOUT, "ds");
    public static final long ES_OFFSET = Layouts.offset(LAYOUT, "es");
    public static final long FS_OFFSET = Layouts.offset(LAYOUT, "fs");
    public static final long GS_OFFSET = Layouts.offset(LAYOUT, "gs");
    public static final long SS_OFFSET = Layouts.offset(LAYOUT, "ss");
    public static final long TR_OFFSET = Layouts.offset(LAYOUT, "tr");
    public static final long LDT_OFFSET = Layouts.offset(LAYOUT, "ldt");
    public static final long GDT_OFFSET = Layouts.offset(LAYOUT, "gdt");
    public static final long IDT_OFFSET = Layouts.offset(LAYOUT, "idt");
    public static final long CR0_OFFSET = Layouts.offset(LAYOUT, "cr0");
    public static final long CR2_OFFSET = Layouts.offset(LAYOUT, "cr2");
    public static final long CR3_OFFSET = Layouts.offset(LAYOUT, "cr3");
    public static final long CR4_OFFSET = Layouts.offset(LAYOUT, "cr4");
    public static final long CR8_OFFSET = Layouts.offset(LAYOUT, "cr8");
    public static final long EFER_OFFSET = Layouts.offset(LAYOUT, "efer");
    public static final long APIC_BASE_OFFSET = Layouts.offset(LAYOUT, "apic_base");
    public static final long INTERRUPT_BITMAP_OFFSET = Layouts.offset(LAYOUT, "interrupt_bitmap");

    private KvmSregsLayout() {
    }
}
