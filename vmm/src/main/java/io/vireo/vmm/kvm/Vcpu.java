package io.vireo.vmm.kvm;

import io.vireo.sys.Kvm;
import io.vireo.sys.KvmFpuLayout;
import io.vireo.sys.KvmLapicStateLayout;
import io.vireo.sys.KvmMpStateLayout;
import io.vireo.sys.KvmRegsLayout;
import io.vireo.sys.KvmSegmentLayout;
import io.vireo.sys.KvmSregsLayout;
import io.vireo.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One KVM vCPU: its fd and shared {@code kvm_run} page, and the register set-up for boot.
 * All ioctls but {@link #run()} are for before the vCPU thread starts: KVM serialises vCPU ioctls,
 * so one issued from another thread blocks while this vCPU is in KVM_RUN.
 */
public final class Vcpu implements AutoCloseable {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    /** LAPIC register offsets (Intel SDM vol. 3 table 11-1) and LVT delivery modes. */
    private static final int APIC_LVT_LINT0 = 0x350;
    private static final int APIC_LVT_LINT1 = 0x360;
    private static final int APIC_MODE_EXTINT = 0x7 << 8;
    private static final int APIC_MODE_NMI = 0x4 << 8;

    private final int index;
    private final int fd;
    private final MemorySegment run;

    private Vcpu(int index, int fd, MemorySegment run) {
        this.index = index;
        this.fd = fd;
        this.run = run;
    }

    public static Vcpu create(Vm vm, int index) {
        int fd = (int) Libc.ioctl(vm.fd(), Kvm.KVM_CREATE_VCPU, index, "KVM_CREATE_VCPU");
        try {
            MemorySegment run = Libc.mmap(0, vm.kvm().vcpuMmapSize(), Libc.PROT_READ | Libc.PROT_WRITE,
                Libc.MAP_SHARED, fd, 0);
            return new Vcpu(index, fd, run);
        } catch (RuntimeException e) {
            Libc.closeQuietly(fd);
            throw e;
        }
    }

    public int index() {
        return index;
    }

    public int fd() {
        return fd;
    }

    /** The shared kvm_run page: exit reason and the data of the exit. */
    public MemorySegment runPage() {
        return run;
    }

    /** KVM_RUN once; returns 0, or -errno (EINTR after a kick). Allocation-free. */
    public long run() {
        return Libc.ioctlRaw(fd, Kvm.KVM_RUN, 0);
    }

    public void setCpuid(CpuidTable cpuid) {
        Libc.ioctl(fd, Kvm.KVM_SET_CPUID2, cpuid.segment(), "KVM_SET_CPUID2");
    }

    /** x87 control word and MXCSR at their reset values with all exceptions masked, as firmware leaves them. */
    public void setupFpu() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fpu = arena.allocate(KvmFpuLayout.SIZE, 16);
            fpu.set(U16, KvmFpuLayout.FCW_OFFSET, (short) 0x37f);
            fpu.set(U32, KvmFpuLayout.MXCSR_OFFSET, 0x1f80);
            Libc.ioctl(fd, Kvm.KVM_SET_FPU, fpu, "KVM_SET_FPU");
        }
    }

    /** LINT0 as ExtINT (the 8259 reaches the BSP) and LINT1 as NMI, as a PC BIOS programs them. */
    public void setupLapic() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment lapic = arena.allocate(KvmLapicStateLayout.SIZE, 8);
            Libc.ioctl(fd, Kvm.KVM_GET_LAPIC, lapic, "KVM_GET_LAPIC");
            long regs = KvmLapicStateLayout.REGS_OFFSET;
            int lint0 = lapic.get(U32, regs + APIC_LVT_LINT0);
            lapic.set(U32, regs + APIC_LVT_LINT0, (lint0 & ~0x700) | APIC_MODE_EXTINT);
            int lint1 = lapic.get(U32, regs + APIC_LVT_LINT1);
            lapic.set(U32, regs + APIC_LVT_LINT1, (lint1 & ~0x700) | APIC_MODE_NMI);
            Libc.ioctl(fd, Kvm.KVM_SET_LAPIC, lapic, "KVM_SET_LAPIC");
        }
    }

    public int mpState() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(KvmMpStateLayout.SIZE, 4);
            Libc.ioctl(fd, Kvm.KVM_GET_MP_STATE, s, "KVM_GET_MP_STATE");
            return s.get(U32, KvmMpStateLayout.MP_STATE_OFFSET);
        }
    }

    /**
     * The registers that say where a guest was when it stopped: {@code rip rsp rflags cr0 cr2 cr3 cr4 efer
     * cs(selector/base) idt(base/limit)}, one line. After a triple fault, PVM's KVM keeps the faulting instruction's
     * state, but KVM on AMD SVM re-initialises the vCPU before it reports the shutdown: there this is the reset state
     * (rip 0xfff0, cs base 0xffff0000). Never throws: a refused ioctl is named in the text instead.
     */
    public String stateSummary() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment r = arena.allocate(KvmRegsLayout.SIZE, 8);
            Libc.ioctl(fd, Kvm.KVM_GET_REGS, r, "KVM_GET_REGS");
            MemorySegment s = arena.allocate(KvmSregsLayout.SIZE, 8);
            Libc.ioctl(fd, Kvm.KVM_GET_SREGS, s, "KVM_GET_SREGS");
            long rip = r.get(U64, KvmRegsLayout.RIP_OFFSET);
            int cs = Short.toUnsignedInt(s.get(U16, KvmSregsLayout.CS_OFFSET + KvmSegmentLayout.SELECTOR_OFFSET));
            long csBase = s.get(U64, KvmSregsLayout.CS_OFFSET + KvmSegmentLayout.BASE_OFFSET);
            return "rip=0x" + Long.toHexString(rip)
                + " rsp=0x" + Long.toHexString(r.get(U64, KvmRegsLayout.RSP_OFFSET))
                + " rflags=0x" + Long.toHexString(r.get(U64, KvmRegsLayout.RFLAGS_OFFSET))
                + " cr0=0x" + Long.toHexString(s.get(U64, KvmSregsLayout.CR0_OFFSET))
                + " cr2=0x" + Long.toHexString(s.get(U64, KvmSregsLayout.CR2_OFFSET))
                + " cr3=0x" + Long.toHexString(s.get(U64, KvmSregsLayout.CR3_OFFSET))
                + " cr4=0x" + Long.toHexString(s.get(U64, KvmSregsLayout.CR4_OFFSET))
                + " efer=0x" + Long.toHexString(s.get(U64, KvmSregsLayout.EFER_OFFSET))
                + " cs=0x" + Integer.toHexString(cs) + "/0x" + Long.toHexString(csBase)
                + " idt=0x" + Long.toHexString(s.get(U64, KvmSregsLayout.IDT_OFFSET))
                + "/0x" + Integer.toHexString(Short.toUnsignedInt(s.get(U16, KvmSregsLayout.IDT_OFFSET + 8)))
                + resetStateNote(rip, cs, csBase);
        } catch (RuntimeException e) {
            return "registers unavailable (" + e.getMessage() + ")";
        }
    }

    /**
     * What to add to {@link #stateSummary} when the registers are the x86 reset state (CS:IP F000:FFF0, CS base
     * FFFF0000): KVM on AMD SVM re-initialises a vCPU when it intercepts a shutdown, before it reports
     * KVM_EXIT_SHUTDOWN, so after a triple fault there the faulting state is gone, and a reader must not take these
     * registers for the guest's.
     */
    static String resetStateNote(long rip, int csSelector, long csBase) {
        return rip == 0xfff0 && csSelector == 0xf000 && csBase == 0xffff0000L
            ? " (the reset state: this host's KVM re-initialised the vCPU before it reported the shutdown, as KVM on"
                + " AMD SVM does; the faulting registers are lost)"
            : "";
    }

    /**
     * The PVH entry state (Xen's x86 PVH ABI, docs/misc/pvh.pandoc): 32-bit protected mode, paging
     * off, flat 4 GiB CS (execute/read) and DS/ES/SS (read/write), TR a 32-bit TSS, EBX = the
     * physical address of hvm_start_info, everything else zero. The descriptors the selectors name
     * are in a GDT at {@code gdtGpa} so the guest can reload them.
     */
    public void setPvhEntry(long entry, long startInfoGpa, long gdtGpa, int gdtLimit) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(KvmSregsLayout.SIZE, 8);
            Libc.ioctl(fd, Kvm.KVM_GET_SREGS, s, "KVM_GET_SREGS");
            segment(s, KvmSregsLayout.CS_OFFSET, BootGdt.CODE32_SELECTOR, 0xb, 1);
            for (long off : new long[] {KvmSregsLayout.DS_OFFSET, KvmSregsLayout.ES_OFFSET,
                KvmSregsLayout.FS_OFFSET, KvmSregsLayout.GS_OFFSET, KvmSregsLayout.SS_OFFSET}) {
                segment(s, off, BootGdt.DATA32_SELECTOR, 0x3, 1);
            }
            long tr = KvmSregsLayout.TR_OFFSET;
            s.asSlice(tr, KvmSegmentLayout.SIZE).fill((byte) 0);
            s.set(U32, tr + KvmSegmentLayout.LIMIT_OFFSET, 0x67);
            s.set(U16, tr + KvmSegmentLayout.SELECTOR_OFFSET, (short) BootGdt.TSS_SELECTOR);
            s.set(ValueLayout.JAVA_BYTE, tr + KvmSegmentLayout.TYPE_OFFSET, (byte) 0xb);
            s.set(ValueLayout.JAVA_BYTE, tr + KvmSegmentLayout.PRESENT_OFFSET, (byte) 1);
            s.set(U64, KvmSregsLayout.GDT_OFFSET + 0, gdtGpa);
            s.set(U16, KvmSregsLayout.GDT_OFFSET + 8, (short) gdtLimit);
            s.set(U64, KvmSregsLayout.IDT_OFFSET + 0, 0L);
            s.set(U16, KvmSregsLayout.IDT_OFFSET + 8, (short) 0);
            s.set(U64, KvmSregsLayout.CR0_OFFSET, 0x11L); // PE | ET
            s.set(U64, KvmSregsLayout.CR3_OFFSET, 0L);
            s.set(U64, KvmSregsLayout.CR4_OFFSET, 0L);
            s.set(U64, KvmSregsLayout.EFER_OFFSET, 0L);
            Libc.ioctl(fd, Kvm.KVM_SET_SREGS, s, "KVM_SET_SREGS");

            MemorySegment r = arena.allocate(KvmRegsLayout.SIZE, 8);
            r.set(U64, KvmRegsLayout.RIP_OFFSET, entry);
            r.set(U64, KvmRegsLayout.RBX_OFFSET, startInfoGpa);
            r.set(U64, KvmRegsLayout.RFLAGS_OFFSET, 0x2L); // bit 1 is reserved as 1; IF=0
            Libc.ioctl(fd, Kvm.KVM_SET_REGS, r, "KVM_SET_REGS");
        }
    }

    /**
     * The Linux 64-bit boot protocol entry state (boot.rst, "64-bit boot protocol"): long mode with
     * paging on identity tables, CS a 64-bit code segment, DS/ES/SS a flat data segment, interrupts
     * off, RSI = the zero page.
     */
    public void setLongModeEntry(long entry, long zeroPageGpa, long pml4Gpa, long gdtGpa, int gdtLimit, int codeSel,
                                 int dataSel, int tssSel, long stackGpa) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(KvmSregsLayout.SIZE, 8);
            Libc.ioctl(fd, Kvm.KVM_GET_SREGS, s, "KVM_GET_SREGS");
            segment(s, KvmSregsLayout.CS_OFFSET, codeSel, 0xb, 0);
            s.set(ValueLayout.JAVA_BYTE, KvmSregsLayout.CS_OFFSET + KvmSegmentLayout.L_OFFSET, (byte) 1);
            for (long off : new long[] {KvmSregsLayout.DS_OFFSET, KvmSregsLayout.ES_OFFSET,
                KvmSregsLayout.FS_OFFSET, KvmSregsLayout.GS_OFFSET, KvmSregsLayout.SS_OFFSET}) {
                segment(s, off, dataSel, 0x3, 1);
            }
            long tr = KvmSregsLayout.TR_OFFSET;
            s.asSlice(tr, KvmSegmentLayout.SIZE).fill((byte) 0);
            s.set(U32, tr + KvmSegmentLayout.LIMIT_OFFSET, 0x67);
            s.set(U16, tr + KvmSegmentLayout.SELECTOR_OFFSET, (short) tssSel);
            s.set(ValueLayout.JAVA_BYTE, tr + KvmSegmentLayout.TYPE_OFFSET, (byte) 0xb);
            s.set(ValueLayout.JAVA_BYTE, tr + KvmSegmentLayout.PRESENT_OFFSET, (byte) 1);
            s.set(U64, KvmSregsLayout.GDT_OFFSET, gdtGpa);
            s.set(U16, KvmSregsLayout.GDT_OFFSET + 8, (short) gdtLimit);
            s.set(U64, KvmSregsLayout.IDT_OFFSET, 0L);
            s.set(U16, KvmSregsLayout.IDT_OFFSET + 8, (short) 0);
            s.set(U64, KvmSregsLayout.CR3_OFFSET, pml4Gpa);
            s.set(U64, KvmSregsLayout.CR4_OFFSET, 0x20L);            // PAE
            s.set(U64, KvmSregsLayout.CR0_OFFSET, 0x8000_0011L);     // PG | ET | PE
            s.set(U64, KvmSregsLayout.EFER_OFFSET, 0x500L);          // LMA | LME
            Libc.ioctl(fd, Kvm.KVM_SET_SREGS, s, "KVM_SET_SREGS");

            MemorySegment r = arena.allocate(KvmRegsLayout.SIZE, 8);
            r.set(U64, KvmRegsLayout.RIP_OFFSET, entry);
            r.set(U64, KvmRegsLayout.RSI_OFFSET, zeroPageGpa);
            r.set(U64, KvmRegsLayout.RSP_OFFSET, stackGpa);
            r.set(U64, KvmRegsLayout.RBP_OFFSET, stackGpa);
            r.set(U64, KvmRegsLayout.RFLAGS_OFFSET, 0x2L);
            Libc.ioctl(fd, Kvm.KVM_SET_REGS, r, "KVM_SET_REGS");
        }
    }

    private static void segment(MemorySegment s, long off, int selector, int type, int db) {
        s.asSlice(off, KvmSegmentLayout.SIZE).fill((byte) 0);
        s.set(U64, off + KvmSegmentLayout.BASE_OFFSET, 0L);
        s.set(U32, off + KvmSegmentLayout.LIMIT_OFFSET, 0xffffffff);
        s.set(U16, off + KvmSegmentLayout.SELECTOR_OFFSET, (short) selector);
        s.set(ValueLayout.JAVA_BYTE, off + KvmSegmentLayout.TYPE_OFFSET, (byte) type);
        s.set(ValueLayout.JAVA_BYTE, off + KvmSegmentLayout.PRESENT_OFFSET, (byte) 1);
        s.set(ValueLayout.JAVA_BYTE, off + KvmSegmentLayout.DB_OFFSET, (byte) db);
        s.set(ValueLayout.JAVA_BYTE, off + KvmSegmentLayout.S_OFFSET, (byte) 1);
        s.set(ValueLayout.JAVA_BYTE, off + KvmSegmentLayout.G_OFFSET, (byte) 1);
    }

    @Override
    public void close() {
        Libc.munmap(run);
        Libc.closeQuietly(fd);
    }
}
