package io.vireo.nativeaccel;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.vireo.sys.Kvm;
import io.vireo.sys.KvmRegsLayout;
import io.vireo.sys.KvmSegmentLayout;
import io.vireo.sys.KvmSregsLayout;
import io.vireo.sys.KvmUserspaceMemoryRegionLayout;
import io.vireo.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A VM with one vCPU and 2 MiB of RAM whose only code is {@code jmp $} (EB FE) at {@link #SPIN_RIP}, in real mode
 * with CS base 0: KVM_RUN spins in the guest until something kicks it out.
 */
final class SpinningGuest implements AutoCloseable {

    static final long SPIN_RIP = 0x1000;
    private static final long RAM_BYTES = 2L * 1024 * 1024;

    final int kvmFd;
    final int vmFd;
    final int vcpuFd;
    final MemorySegment ram;
    final MemorySegment run;

    SpinningGuest() {
        kvmFd = Libc.open("/dev/kvm", Libc.O_RDWR | Libc.O_CLOEXEC);
        vmFd = (int) Libc.ioctl(kvmFd, Kvm.KVM_CREATE_VM, 0L, "KVM_CREATE_VM");
        ram = Libc.mmap(0, RAM_BYTES, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
        ram.set(JAVA_BYTE, SPIN_RIP, (byte) 0xEB);
        ram.set(JAVA_BYTE, SPIN_RIP + 1, (byte) 0xFE);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment region = arena.allocate(KvmUserspaceMemoryRegionLayout.LAYOUT);
            region.set(JAVA_INT, KvmUserspaceMemoryRegionLayout.SLOT_OFFSET, 0);
            region.set(JAVA_LONG, KvmUserspaceMemoryRegionLayout.GUEST_PHYS_ADDR_OFFSET, 0);
            region.set(JAVA_LONG, KvmUserspaceMemoryRegionLayout.MEMORY_SIZE_OFFSET, RAM_BYTES);
            region.set(JAVA_LONG, KvmUserspaceMemoryRegionLayout.USERSPACE_ADDR_OFFSET, ram.address());
            Libc.ioctl(vmFd, Kvm.KVM_SET_USER_MEMORY_REGION, region, "KVM_SET_USER_MEMORY_REGION");

            vcpuFd = (int) Libc.ioctl(vmFd, Kvm.KVM_CREATE_VCPU, 0L, "KVM_CREATE_VCPU");
            final long mmapSize = Libc.ioctl(kvmFd, Kvm.KVM_GET_VCPU_MMAP_SIZE, 0L, "KVM_GET_VCPU_MMAP_SIZE");
            run = Libc.mmap(0, mmapSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, vcpuFd, 0);

            // Real mode as at reset, but with CS = 0 so that CS:IP = 0:0x1000 lands on our jmp.
            final MemorySegment sregs = arena.allocate(KvmSregsLayout.LAYOUT);
            Libc.ioctl(vcpuFd, Kvm.KVM_GET_SREGS, sregs, "KVM_GET_SREGS");
            sregs.set(JAVA_LONG, KvmSregsLayout.CS_OFFSET + KvmSegmentLayout.BASE_OFFSET, 0);
            sregs.set(JAVA_SHORT, KvmSregsLayout.CS_OFFSET + KvmSegmentLayout.SELECTOR_OFFSET, (short) 0);
            Libc.ioctl(vcpuFd, Kvm.KVM_SET_SREGS, sregs, "KVM_SET_SREGS");

            final MemorySegment regs = arena.allocate(KvmRegsLayout.LAYOUT);
            regs.set(JAVA_LONG, KvmRegsLayout.RIP_OFFSET, SPIN_RIP);
            regs.set(JAVA_LONG, KvmRegsLayout.RFLAGS_OFFSET, 0x2);
            Libc.ioctl(vcpuFd, Kvm.KVM_SET_REGS, regs, "KVM_SET_REGS");
        }
    }

    /** @return the guest's rip; only while no thread is in KVM_RUN (the ioctl would wait for it) */
    long rip() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment regs = arena.allocate(KvmRegsLayout.LAYOUT);
            Libc.ioctl(vcpuFd, Kvm.KVM_GET_REGS, regs, "KVM_GET_REGS");
            return regs.get(JAVA_LONG, KvmRegsLayout.RIP_OFFSET);
        }
    }

    @Override
    public void close() {
        Libc.munmap(run);
        Libc.closeQuietly(vcpuFd);
        Libc.closeQuietly(vmFd);
        Libc.munmap(ram);
        Libc.closeQuietly(kvmFd);
    }
}
