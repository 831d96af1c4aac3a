package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The {@code *Raw} calls: results or -errno, no exceptions, no allocation. */
class RawCallsTest {

    @Test
    void shouldReturnMinusErrnoInsteadOfThrowing() {
        final int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment arg = arena.allocate(64);
            assertEquals(-Errno.ENOTTY, Libc.ioctlRaw(fd, Kvm.KVM_GET_API_VERSION, 0));
            assertEquals(-Errno.ENOTTY, Libc.ioctlRaw(fd, Kvm.KVM_GET_REGS, arg));
            assertEquals(-Errno.EBADF, Libc.ioctlRaw(-1, Kvm.KVM_RUN, 0));
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void shouldNotAllocateInRawCallsOnceCompiled() {
        final var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment value = arena.allocate(JAVA_LONG);
            value.set(JAVA_LONG, 0, 1);
            // Interpreted downcalls do allocate (about 50 bytes per variadic ioctl); JIT-compiled ones must not.
            // So: run rounds until one allocates nothing, and fail only if none ever does.
            long allocated = Long.MAX_VALUE;
            for (int round = 0; round < 40 && allocated > 0; round++) {
                final long before = threads.getCurrentThreadAllocatedBytes();
                loop(fd, value, 50_000);
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(0, allocated, "bytes allocated by 150000 raw calls in the last of 40 rounds");
        } finally {
            Libc.close(fd);
        }
    }

    private static void loop(final int fd, final MemorySegment value, final int n) {
        for (int i = 0; i < n; i++) {
            Libc.writeRaw(fd, value, 8);
            Libc.readRaw(fd, value, 8);
            Libc.ioctlRaw(fd, Kvm.KVM_RUN, 0);
        }
    }

    @Test
    void shouldReadApiVersion12FromDevKvm() {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/dev/kvm")) && Files.isWritable(Path.of("/dev/kvm")),
            "/dev/kvm is not accessible to this user: skipping the KVM check");
        final int kvm = Libc.open("/dev/kvm", Libc.O_RDWR | Libc.O_CLOEXEC);
        try {
            assertEquals(Kvm.KVM_API_VERSION, Libc.ioctl(kvm, Kvm.KVM_GET_API_VERSION, 0L, "KVM_GET_API_VERSION"));
            assertEquals(1, Libc.ioctlRaw(kvm, Kvm.KVM_CHECK_EXTENSION, Kvm.KVM_CAP_USER_MEMORY));
            assertTrue(Libc.ioctl(kvm, Kvm.KVM_GET_VCPU_MMAP_SIZE, 0L, "KVM_GET_VCPU_MMAP_SIZE")
                >= KvmRunLayout.SIZE);
        } finally {
            Libc.close(kvm);
        }
    }
}
