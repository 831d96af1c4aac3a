package io.vireo.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * io_uring_setup / io_uring_enter / io_uring_register behind {@link Libc}, through {@code long syscall(long, ...)}:
 * glibc has no wrappers, and liburing is not used. Every argument after the number is passed as a 64-bit value
 * (the variadic part of syscall reads registers as longs; the kernel truncates to the declared u32).
 */
final class IoUringCalls {

    private static final MethodHandle SETUP = Native.capturingVariadic("syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS), 1);
    private static final MethodHandle ENTER = Native.capturingVariadic("syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG),
        1);
    private static final MethodHandle REGISTER = Native.capturingVariadic("syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG), 1);

    private IoUringCalls() {
    }

    static int setupRaw(final int entries, final MemorySegment params) {
        final MemorySegment capture = Native.capture();
        final long rc;
        try {
            rc = (long) SETUP.invokeExact(capture, IoUringAbi.SYS_IO_URING_SETUP, (long) entries, params);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : (int) rc;
    }

    static int enterRaw(final int ringFd, final int toSubmit, final int minComplete, final int flags) {
        final MemorySegment capture = Native.capture();
        final long rc;
        try {
            rc = (long) ENTER.invokeExact(capture, IoUringAbi.SYS_IO_URING_ENTER, (long) ringFd,
                toSubmit & 0xFFFF_FFFFL, minComplete & 0xFFFF_FFFFL, flags & 0xFFFF_FFFFL, MemorySegment.NULL, 0L);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : (int) rc;
    }

    static int registerRaw(final int ringFd, final int opcode, final MemorySegment arg, final int nrArgs) {
        final MemorySegment capture = Native.capture();
        final long rc;
        try {
            rc = (long) REGISTER.invokeExact(capture, IoUringAbi.SYS_IO_URING_REGISTER, (long) ringFd,
                (long) opcode, arg, (long) nrArgs);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : (int) rc;
    }
}
