package io.vireo.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The plumbing every libc binding shares: the linker, the errno capture and the per-thread buffers.
 *
 * <p>errno is captured with {@code Linker.Option.captureCallState("errno")}: the JVM may run code between the
 * native call and a later read of the C errno, so reading errno afterwards would be unreliable. The capture
 * segment is one per thread, allocated once ({@link #buffers()}), so no call (not even one that fails) allocates
 * for it; the {@code *Raw} calls on the vCPU and worker hot paths depend on this.
 */
final class Native {

    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LIBC = LINKER.defaultLookup();

    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
        CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** Bytes of per-thread scratch: room for the small structs some calls pass (an epoll_event is 12). */
    static final long SCRATCH_BYTES = 64;

    private static final ThreadLocal<ThreadBuffers> BUFFERS = ThreadLocal.withInitial(ThreadBuffers::new);

    private Native() {
    }

    /** Per-thread native memory, allocated once per thread and kept while the thread lives. */
    static final class ThreadBuffers {
        final MemorySegment capture;
        final MemorySegment scratch;

        ThreadBuffers() {
            // An automatic arena: the segments live as long as this object, which the ThreadLocal keeps.
            final Arena arena = Arena.ofAuto();
            capture = arena.allocate(CAPTURE_LAYOUT);
            scratch = arena.allocate(SCRATCH_BYTES, 8);
        }
    }

    /** @return this thread's capture and scratch segments (allocated on the first call in a thread) */
    static ThreadBuffers buffers() {
        return BUFFERS.get();
    }

    /** @return this thread's errno capture segment, to pass as the first argument of a capturing handle */
    static MemorySegment capture() {
        return BUFFERS.get().capture;
    }

    /** @return the errno a capturing call stored into {@code capture} */
    static int errno(final MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /** A libc function whose handle takes the capture segment as an extra first argument. */
    @SuppressWarnings("restricted")
    static MethodHandle capturing(final String name, final FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(find(name), descriptor, CAPTURE_ERRNO);
    }

    /** A variadic libc function ({@code open}, {@code ioctl}, {@code fcntl}) that captures errno. */
    @SuppressWarnings("restricted")
    static MethodHandle capturingVariadic(final String name, final FunctionDescriptor descriptor,
        final int firstVariadicArg) {
        return LINKER.downcallHandle(find(name), descriptor, CAPTURE_ERRNO,
            Linker.Option.firstVariadicArg(firstVariadicArg));
    }

    /** A libc function that cannot fail (no errno). */
    @SuppressWarnings("restricted")
    static MethodHandle plain(final String name, final FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(find(name), descriptor);
    }

    private static MemorySegment find(final String name) {
        return LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
    }

    /** Downcall handles throw nothing checked; anything else that escapes invokeExact is a bug here. */
    static RuntimeException rethrow(final Throwable t) {
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("unexpected checked exception from a downcall", t);
    }
}
