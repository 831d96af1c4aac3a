package io.vireo.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@code mmap(2)} and {@code munmap(2)} behind {@link Libc}. */
final class MemoryCalls {

    /** mmap's MAP_FAILED is {@code (void *) -1}. */
    private static final long MAP_FAILED = -1L;

    private static final MethodHandle MMAP = Native.capturing("mmap",
        FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = Native.capturing("munmap",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));

    private MemoryCalls() {
    }

    @SuppressWarnings("restricted")
    static MemorySegment mmap(final long addr, final long length, final int prot, final int flags, final int fd,
        final long offset) {
        final MemorySegment capture = Native.capture();
        final MemorySegment mapped;
        try {
            mapped = (MemorySegment) MMAP.invokeExact(capture, MemorySegment.ofAddress(addr), length, prot, flags,
                fd, offset);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (mapped.address() == MAP_FAILED) {
            throw new SysException("mmap(length=" + length + ", prot=" + prot + ", flags=0x"
                + Integer.toHexString(flags) + ", fd=" + fd + ", offset=" + offset + ")", Native.errno(capture));
        }
        // SAFETY: the kernel just mapped `length` bytes at this address; they stay mapped until munmap.
        return mapped.reinterpret(length);
    }

    static void munmap(final MemorySegment segment) {
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) MUNMAP.invokeExact(capture, segment, segment.byteSize());
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            throw new SysException("munmap(0x" + Long.toHexString(segment.address()) + ", " + segment.byteSize()
                + ")", Native.errno(capture));
        }
    }
}
