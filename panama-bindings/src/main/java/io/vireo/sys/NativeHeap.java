package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

/**
 * glibc's {@code malloc_trim(3)}: gives the pages that freed {@code malloc} memory still holds back to the kernel.
 * HotSpot's JIT compilers malloc their arenas per compilation and free them; glibc keeps the pages in per-thread
 * arenas, which in a VMM that is otherwise done allocating is most of the resident memory not accounted for by the
 * JVM (NMT: 57 MB committed against 89 MB resident for a one-disk test-guest VM). HotSpot's own
 * {@code -XX:TrimNativeHeapInterval} does the same from a thread of its own; a VMM calls this from a thread it
 * already has. Absent (another libc): a no-op.
 */
public final class NativeHeap {
    private static final MethodHandle MALLOC_TRIM = Native.LIBC.find("malloc_trim")
        .map(NativeHeap::bind).orElse(null);

    private NativeHeap() {
    }

    @SuppressWarnings("restricted")
    private static MethodHandle bind(java.lang.foreign.MemorySegment symbol) {
        return Native.LINKER.downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    }

    /** Trims every malloc arena down to its live data; true if memory went back to the kernel. */
    public static boolean trim() {
        if (MALLOC_TRIM == null) {
            return false;
        }
        try {
            return (int) MALLOC_TRIM.invokeExact(0L) == 1;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
