package io.vireo.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * {@code ioctl(2)} behind {@link Libc}, in two shapes: the third argument as an integer (KVM_CREATE_VCPU's id,
 * KVM_CHECK_EXTENSION's capability) or as a pointer to a struct.
 *
 * <p>ioctl is variadic in C ({@code int ioctl(int, unsigned long, ...)}), so the handles say where the variadic
 * part starts: on x86-64 the caller must then set {@code %al}, which the linker does for us.
 */
final class IoctlCalls {

    private static final MethodHandle IOCTL_LONG = Native.capturingVariadic("ioctl",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), 2);
    private static final MethodHandle IOCTL_PTR = Native.capturingVariadic("ioctl",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);

    private IoctlCalls() {
    }

    static long ioctlRaw(final int fd, final long request, final long arg) {
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) IOCTL_LONG.invokeExact(capture, fd, request, arg);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : rc;
    }

    static long ioctlRaw(final int fd, final long request, final MemorySegment arg) {
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) IOCTL_PTR.invokeExact(capture, fd, request, arg);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : rc;
    }

    static long ioctl(final int fd, final long request, final long arg, final String requestName) {
        final long rc = ioctlRaw(fd, request, arg);
        if (rc < 0) {
            throw SysException.fromRaw("ioctl(" + requestName + ")", rc);
        }
        return rc;
    }

    static long ioctl(final int fd, final long request, final MemorySegment arg, final String requestName) {
        final long rc = ioctlRaw(fd, request, arg);
        if (rc < 0) {
            throw SysException.fromRaw("ioctl(" + requestName + ")", rc);
        }
        return rc;
    }
}
