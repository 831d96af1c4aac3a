package io.vireo.vmm.kvm;

import io.vireo.sys.Kvm;
import io.vireo.sys.KvmCpuid2Layout;
import io.vireo.sys.KvmCpuidEntry2Layout;
import io.vireo.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A {@code struct kvm_cpuid2} as KVM_GET_SUPPORTED_CPUID returned it, and per-vCPU copies of it with
 * the topology fields (APIC ids) patched in.
 */
public final class CpuidTable {
    private static final int MAX_ENTRIES = 256;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;

    /** CPUID.1:ECX bit 24, TSC-deadline mode of the LAPIC timer (SDM vol. 3, 11.5.4.1). */
    private static final int ECX_TSC_DEADLINE = 1 << 24;
    /** CPUID.1:ECX bit 31: "running under a hypervisor". */
    private static final int ECX_HYPERVISOR = 1 << 31;

    private final MemorySegment table;
    private final boolean tscDeadline;

    private CpuidTable(MemorySegment table, boolean tscDeadline) {
        this.table = table;
        this.tscDeadline = tscDeadline;
    }

    /**
     * @param tscDeadline KVM emulates the TSC-deadline timer in its LAPIC (KVM_CAP_TSC_DEADLINE_TIMER)
     *                    but leaves the CPUID bit to user space. Without it Linux calibrates the LAPIC
     *                    timer against the PIT, which fails under nested emulation and leaves the guest
     *                    without timer interrupts (sleep never returns); QEMU sets it the same way.
     */
    static CpuidTable supported(int kvmFd, boolean tscDeadline) {
        MemorySegment seg = Arena.ofAuto().allocate(
            KvmCpuid2Layout.SIZE + (long) MAX_ENTRIES * KvmCpuidEntry2Layout.SIZE, 8);
        seg.set(U32, KvmCpuid2Layout.NENT_OFFSET, MAX_ENTRIES);
        Libc.ioctl(kvmFd, Kvm.KVM_GET_SUPPORTED_CPUID, seg, "KVM_GET_SUPPORTED_CPUID");
        return new CpuidTable(seg, tscDeadline);
    }

    public int entryCount() {
        return table.get(U32, KvmCpuid2Layout.NENT_OFFSET);
    }

    public MemorySegment segment() {
        return table;
    }

    private long entry(int i) {
        return KvmCpuid2Layout.ENTRIES_OFFSET + (long) i * KvmCpuidEntry2Layout.SIZE;
    }

    /**
     * A copy for one vCPU: leaf 1 EBX[31:24] is the initial APIC id; leaves 0xB and 0x1F report the
     * x2APIC id in EDX. Leaf 1 ECX: the hypervisor bit, and TSC-deadline where KVM emulates it.
     */
    public CpuidTable forVcpu(int apicId) {
        MemorySegment copy = Arena.ofAuto().allocate(table.byteSize(), 8);
        copy.copyFrom(table);
        CpuidTable t = new CpuidTable(copy, tscDeadline);
        for (int i = 0; i < t.entryCount(); i++) {
            long e = t.entry(i);
            int function = copy.get(U32, e + KvmCpuidEntry2Layout.FUNCTION_OFFSET);
            switch (function) {
                case 1 -> {
                    long ebx = e + KvmCpuidEntry2Layout.EBX_OFFSET;
                    copy.set(U32, ebx, (copy.get(U32, ebx) & 0x00ffffff) | (apicId << 24));
                    long ecx = e + KvmCpuidEntry2Layout.ECX_OFFSET;
                    copy.set(U32, ecx, copy.get(U32, ecx) | ECX_HYPERVISOR | (tscDeadline ? ECX_TSC_DEADLINE : 0));
                }
                case 0xb, 0x1f -> copy.set(U32, e + KvmCpuidEntry2Layout.EDX_OFFSET, apicId);
                default -> { }
            }
        }
        return t;
    }
}
