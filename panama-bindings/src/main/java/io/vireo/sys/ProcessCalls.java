package io.vireo.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** Process and thread calls behind {@link Libc}: ids, signals, CPU affinity. */
final class ProcessCalls {

    private static final MethodHandle GETTID = Native.plain("gettid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETPID = Native.plain("getpid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle KILL = Native.capturing("kill",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SCHED_SETAFFINITY = Native.capturing("sched_setaffinity",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));

    private ProcessCalls() {
    }

    static int gettid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static void kill(final int pid, final int sig) {
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) KILL.invokeExact(capture, pid, sig);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            throw new SysException("kill(" + pid + ", " + sig + ")", Native.errno(capture));
        }
    }

    static void schedSetaffinity(final int tid, final long[] cpuMaskWords) {
        final MemorySegment capture = Native.capture();
        final int rc;
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment mask = arena.allocateFrom(JAVA_LONG, cpuMaskWords);
            rc = (int) SCHED_SETAFFINITY.invokeExact(capture, tid, mask.byteSize(), mask);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            throw new SysException("sched_setaffinity(" + tid + ")", Native.errno(capture));
        }
    }
}
