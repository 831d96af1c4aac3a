package io.vireo.vmm.kvm;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.memory.GuestRegion;
import io.vireo.sys.Errno;
import io.vireo.sys.Kvm;
import io.vireo.sys.KvmIoeventfdLayout;
import io.vireo.sys.KvmIrqLevelLayout;
import io.vireo.sys.KvmPitConfigLayout;
import io.vireo.sys.KvmUserspaceMemoryRegionLayout;
import io.vireo.sys.Libc;
import io.vireo.sys.SysException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A KVM VM: its fd, in-kernel irqchip and PIT, and memory slots. */
public final class Vm implements AutoCloseable {
    /** KVM_CREATE_VM tries while signals interrupt it. */
    private static final int CREATE_ATTEMPTS = 100;
    /** Three pages below 4 GiB that Intel KVM needs for the real-mode TSS; never RAM here. */
    private static final long TSS_ADDR = 0xfffb_d000L;

    private final int fd;
    private final KvmSystem kvm;

    private Vm(KvmSystem kvm, int fd) {
        this.kvm = kvm;
        this.fd = fd;
    }

    /** Creates the VM with the in-kernel IOAPIC/PIC/LAPICs and PIT (must precede vCPU creation). */
    public static Vm create(KvmSystem kvm) {
        int fd = createVmFd(kvm);
        Vm vm = new Vm(kvm, fd);
        try {
            Libc.ioctl(fd, Kvm.KVM_SET_TSS_ADDR, TSS_ADDR, "KVM_SET_TSS_ADDR");
            Libc.ioctl(fd, Kvm.KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP");
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment pit = arena.allocate(KvmPitConfigLayout.SIZE, 8);
                // The speaker port (0x61) is not ours to emulate: let KVM answer it.
                pit.set(ValueLayout.JAVA_INT_UNALIGNED, KvmPitConfigLayout.FLAGS_OFFSET, Kvm.KVM_PIT_SPEAKER_DUMMY);
                Libc.ioctl(fd, Kvm.KVM_CREATE_PIT2, pit, "KVM_CREATE_PIT2");
            }
            return vm;
        } catch (RuntimeException e) {
            vm.close();
            throw e;
        }
    }

    /**
     * KVM_CREATE_VM, again while it fails with EINTR: creating the VM's memory management checks for pending
     * signals, and any signal to the thread (a profiler's, a JVM safepoint's) makes it give up; QEMU loops the same
     * way ({@code kvm_init}). Bounded, so a signal storm still ends in the error.
     */
    private static int createVmFd(KvmSystem kvm) {
        for (int attempt = 1; ; attempt++) {
            try {
                return (int) Libc.ioctl(kvm.fd(), Kvm.KVM_CREATE_VM, 0, "KVM_CREATE_VM");
            } catch (SysException e) {
                if (e.errno() != Errno.EINTR || attempt >= CREATE_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    public int fd() {
        return fd;
    }

    public KvmSystem kvm() {
        return kvm;
    }

    /** One memory slot per RAM region, slot numbers in region order. */
    public void mapMemory(GuestMemory memory) {
        int slot = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment r = arena.allocate(KvmUserspaceMemoryRegionLayout.SIZE, 8);
            for (GuestRegion region : memory.regions()) {
                r.fill((byte) 0);
                r.set(ValueLayout.JAVA_INT_UNALIGNED, KvmUserspaceMemoryRegionLayout.SLOT_OFFSET, slot++);
                r.set(ValueLayout.JAVA_LONG_UNALIGNED, KvmUserspaceMemoryRegionLayout.GUEST_PHYS_ADDR_OFFSET,
                    region.gpa());
                r.set(ValueLayout.JAVA_LONG_UNALIGNED, KvmUserspaceMemoryRegionLayout.MEMORY_SIZE_OFFSET,
                    region.sizeBytes());
                r.set(ValueLayout.JAVA_LONG_UNALIGNED, KvmUserspaceMemoryRegionLayout.USERSPACE_ADDR_OFFSET,
                    region.segment().address());
                Libc.ioctl(fd, Kvm.KVM_SET_USER_MEMORY_REGION, r, "KVM_SET_USER_MEMORY_REGION");
            }
        }
    }

    /** Drives an interrupt line of the in-kernel PIC/IOAPIC (ISA IRQ n is GSI n). Thread-safe (an ioctl). */
    public void setIrqLine(int gsi, boolean level) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment l = arena.allocate(KvmIrqLevelLayout.SIZE, 8);
            l.set(ValueLayout.JAVA_INT_UNALIGNED, KvmIrqLevelLayout.IRQ_OFFSET, gsi);
            l.set(ValueLayout.JAVA_INT_UNALIGNED, KvmIrqLevelLayout.LEVEL_OFFSET, level ? 1 : 0);
            Libc.ioctl(fd, Kvm.KVM_IRQ_LINE, l, "KVM_IRQ_LINE");
        }
    }

    /**
     * Assigns (or with {@code deassign}, removes) an ioeventfd: a guest write to {@code addr} signals
     * {@code eventFd} inside KVM, with no exit to user space. {@code len} 0 matches any width
     * (KVM_CAP_IOEVENTFD_ANY_LENGTH); {@code datamatch} &lt; 0 matches any value. Control path.
     */
    public void ioeventfd(long addr, int len, int eventFd, boolean pio, long datamatch, boolean deassign) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment e = arena.allocate(KvmIoeventfdLayout.SIZE, 8);
            int flags = (pio ? Kvm.KVM_IOEVENTFD_FLAG_PIO : 0) | (deassign ? Kvm.KVM_IOEVENTFD_FLAG_DEASSIGN : 0)
                | (datamatch >= 0 ? Kvm.KVM_IOEVENTFD_FLAG_DATAMATCH : 0);
            e.set(ValueLayout.JAVA_LONG_UNALIGNED, KvmIoeventfdLayout.DATAMATCH_OFFSET, Math.max(datamatch, 0));
            e.set(ValueLayout.JAVA_LONG_UNALIGNED, KvmIoeventfdLayout.ADDR_OFFSET, addr);
            e.set(ValueLayout.JAVA_INT_UNALIGNED, KvmIoeventfdLayout.LEN_OFFSET, len);
            e.set(ValueLayout.JAVA_INT_UNALIGNED, KvmIoeventfdLayout.FD_OFFSET, eventFd);
            e.set(ValueLayout.JAVA_INT_UNALIGNED, KvmIoeventfdLayout.FLAGS_OFFSET, flags);
            Libc.ioctl(fd, Kvm.KVM_IOEVENTFD, e, "KVM_IOEVENTFD");
        }
    }

    @Override
    public void close() {
        Libc.closeQuietly(fd);
    }
}
