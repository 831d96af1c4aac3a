package io.vireo.nativeaccel;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.vireo.sys.KvmRunLayout;
import io.vireo.sys.SysException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Kicks a vCPU thread out of KVM_RUN: {@code kvm_run.immediate_exit} plus a real-time signal that only KVM_RUN
 * sees (vcpu_kick.c explains why both, and which signal).
 *
 * <p>Protocol:
 * <pre>
 *   vCPU thread                                    any other thread
 *   h = prepareCurrentThread(vcpuFd)   (once)      publish the reason (flag, command)
 *   loop:                                          kick(h, kvmRun)
 *     r = ioctlRaw(vcpuFd, KVM_RUN, 0)
 *     if r == -EINTR: acknowledge(kvmRun), then look at the reasons
 * </pre>
 * Acknowledge before looking at the reasons: then a kick is never lost, at worst seen twice. The thread handle is
 * valid only while the vCPU thread lives; do not kick a thread that has ended.
 */
public final class VcpuKick {

    private static final MethodHandle PREPARE = NativeAccel.bind("vireo_vcpu_prepare",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle KICK = NativeAccel.bind("vireo_vcpu_kick",
        FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle ACK = NativeAccel.bind("vireo_vcpu_ack",
        FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SIGNAL = NativeAccel.bind("vireo_kick_signal",
        FunctionDescriptor.of(JAVA_INT));

    private VcpuKick() {
    }

    /**
     * Loads the library and links these calls now (it is this class's initialisation: ~10-20 ms of library loading and
     * downcall code generation that the AOT cache does not keep), for a caller that wants that off its critical path;
     * otherwise the first vCPU thread pays it before the guest's first instruction. Does not fail: a missing library is
     * reported by the first real call.
     */
    public static void link() {
        // class initialisation has run by the time this body does
    }

    /**
     * On the vCPU thread, once, before its first KVM_RUN: blocks the kick signal in this thread and tells KVM
     * (KVM_SET_SIGNAL_MASK) to unblock it during KVM_RUN only.
     *
     * @return this thread's handle for {@link #kick}
     */
    public static long prepareCurrentThread(final int vcpuFd) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment thread = arena.allocate(JAVA_LONG);
            final int rc = (int) PREPARE.invokeExact(vcpuFd, thread);
            if (rc < 0) {
                throw SysException.fromRaw("vireo_vcpu_prepare(vcpu_fd=" + vcpuFd + ")", rc);
            }
            return thread.get(JAVA_LONG, 0);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * From any thread: the vCPU's KVM_RUN returns -EINTR now if it is running, or as soon as it is entered.
     *
     * @param threadHandle from {@link #prepareCurrentThread} on the vCPU thread, which must still be alive
     * @param kvmRun       that vCPU's mmap-ed kvm_run
     */
    public static void kick(final long threadHandle, final MemorySegment kvmRun) {
        checkRun(kvmRun);
        final int rc;
        try {
            rc = (int) KICK.invokeExact(threadHandle, kvmRun);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (rc < 0) {
            throw SysException.fromRaw("pthread_kill(vcpu thread)", rc);
        }
    }

    /**
     * On the vCPU thread, after KVM_RUN returned -EINTR: clears immediate_exit and consumes pending kick signals,
     * so that the next KVM_RUN runs the guest. Does not allocate.
     *
     * @return how many kick signals were pending (0 when the exit had another cause, or the kick came only through
     *         immediate_exit)
     */
    public static int acknowledge(final MemorySegment kvmRun) {
        checkRun(kvmRun);
        final int rc;
        try {
            rc = (int) ACK.invokeExact(kvmRun);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (rc < 0) {
            throw SysException.fromRaw("sigtimedwait(kick signal)", rc);
        }
        return rc;
    }

    /** @return the signal number used for kicks (SIGRTMIN + 6, 40 with glibc), e.g. for logs */
    public static int signalNumber() {
        try {
            return (int) SIGNAL.invokeExact();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void checkRun(final MemorySegment kvmRun) {
        // SAFETY: the C side writes kvm_run.immediate_exit; a too-small or heap segment would be a memory bug.
        if (!kvmRun.isNative() || kvmRun.byteSize() < KvmRunLayout.SIZE) {
            throw new IllegalArgumentException("not a kvm_run mapping: native=" + kvmRun.isNative() + ", byteSize="
                + kvmRun.byteSize() + ", need " + KvmRunLayout.SIZE);
        }
    }
}
