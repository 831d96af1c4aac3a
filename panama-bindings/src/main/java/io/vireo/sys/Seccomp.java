package io.vireo.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

/**
 * seccomp-BPF ({@code <linux/seccomp.h>}, {@code <linux/filter.h>}, {@code <linux/bpf_common.h>}) for x86-64:
 * {@code prctl(PR_SET_NO_NEW_PRIVS)}, {@code seccomp(SECCOMP_SET_MODE_FILTER)} through {@code syscall(2)}, the
 * {@code struct sock_filter} / {@code struct sock_fprog} layouts and the classic-BPF opcodes a filter needs. No
 * policy: the VMM decides what to deny.
 */
public final class Seccomp {
    // ---- syscall numbers (x86-64) used by filters and by tests probing them ----
    public static final int SYS_SOCKET = 41;
    public static final int SYS_EXECVE = 59;
    public static final int SYS_PTRACE = 101;
    public static final int SYS_PERSONALITY = 135;
    public static final int SYS_PIVOT_ROOT = 155;
    public static final int SYS_CHROOT = 161;
    public static final int SYS_ACCT = 163;
    public static final int SYS_MOUNT = 165;
    public static final int SYS_UMOUNT2 = 166;
    public static final int SYS_SWAPON = 167;
    public static final int SYS_SWAPOFF = 168;
    public static final int SYS_REBOOT = 169;
    public static final int SYS_IOPL = 172;
    public static final int SYS_IOPERM = 173;
    public static final int SYS_INIT_MODULE = 175;
    public static final int SYS_DELETE_MODULE = 176;
    public static final int SYS_KEXEC_LOAD = 246;
    public static final int SYS_ADD_KEY = 248;
    public static final int SYS_REQUEST_KEY = 249;
    public static final int SYS_KEYCTL = 250;
    public static final int SYS_UNSHARE = 272;
    public static final int SYS_PROCESS_VM_READV = 310;
    public static final int SYS_PROCESS_VM_WRITEV = 311;
    public static final int SYS_FINIT_MODULE = 313;
    public static final int SYS_SECCOMP = 317;
    public static final int SYS_KEXEC_FILE_LOAD = 320;
    public static final int SYS_BPF = 321;
    public static final int SYS_EXECVEAT = 322;
    public static final int SYS_OPEN_BY_HANDLE_AT = 304;
    public static final int SYS_SETNS = 308;
    /** x32 system calls carry this bit; a filter for x86-64 must refuse them or they bypass it. */
    public static final int X32_SYSCALL_BIT = 0x4000_0000;

    // ---- prctl / seccomp ----
    public static final int PR_SET_NO_NEW_PRIVS = 38;
    public static final int SECCOMP_SET_MODE_FILTER = 1;
    /** Applies the filter to every thread of the process (the JVM's threads exist before we install it). */
    public static final int SECCOMP_FILTER_FLAG_TSYNC = 1;
    public static final int SECCOMP_FILTER_FLAG_LOG = 2;
    public static final int SECCOMP_RET_KILL_PROCESS = 0x8000_0000;
    public static final int SECCOMP_RET_ERRNO = 0x0005_0000;
    public static final int SECCOMP_RET_LOG = 0x7ffc_0000;
    public static final int SECCOMP_RET_ALLOW = 0x7fff_0000;
    public static final int AUDIT_ARCH_X86_64 = 0xc000_003e;
    public static final int AF_UNIX = 1;

    // ---- struct seccomp_data offsets ----
    public static final int DATA_NR_OFFSET = 0;
    public static final int DATA_ARCH_OFFSET = 4;
    /** args[0]; args[i] at 16 + 8 * i, little-endian, so the low 32 bits come first. */
    public static final int DATA_ARGS_OFFSET = 16;

    // ---- classic BPF ----
    public static final int BPF_LD_W_ABS = 0x00 | 0x00 | 0x20;
    public static final int BPF_JMP_JEQ_K = 0x05 | 0x10 | 0x00;
    public static final int BPF_JMP_JGE_K = 0x05 | 0x30 | 0x00;
    public static final int BPF_RET_K = 0x06 | 0x00;
    /** The kernel's BPF_MAXINSNS. */
    public static final int MAX_INSNS = 4096;

    /** {@code struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; }}. */
    public static final StructLayout SOCK_FILTER = MemoryLayout.structLayout(
        JAVA_SHORT.withName("code"), JAVA_BYTE.withName("jt"), JAVA_BYTE.withName("jf"), JAVA_INT.withName("k"));
    /** {@code struct sock_fprog { unsigned short len; struct sock_filter *filter; }}. */
    public static final StructLayout SOCK_FPROG = MemoryLayout.structLayout(
        JAVA_SHORT.withName("len"), MemoryLayout.paddingLayout(6), ADDRESS.withName("filter"));

    private static final MethodHandle PRCTL = Native.capturingVariadic("prctl",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), 1);
    private static final MethodHandle SYSCALL3 = Native.capturingVariadic("syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), 1);
    private static final MethodHandle SYSCALL5 = Native.capturingVariadic("syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), 1);

    private Seccomp() {
    }

    /** One instruction, packed as the kernel reads it (code | jt << 16 | jf << 24 | k << 32). */
    public static long insn(int code, int jt, int jf, int k) {
        if (jt < 0 || jt > 255 || jf < 0 || jf > 255) {
            throw new IllegalArgumentException("BPF jump offset out of range: jt=" + jt + ", jf=" + jf);
        }
        return (code & 0xffffL) | (long) jt << 16 | (long) jf << 24 | (k & 0xffff_ffffL) << 32;
    }

    /** {@code prctl(PR_SET_NO_NEW_PRIVS, 1)}: required before an unprivileged process installs a filter. */
    public static void setNoNewPrivs() {
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) PRCTL.invokeExact(capture, PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            throw new SysException("prctl(PR_SET_NO_NEW_PRIVS)", Native.errno(capture));
        }
    }

    /**
     * {@code seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)} with {@code program} (from {@link #insn}). Irreversible
     * for the calling thread (and, with {@link #SECCOMP_FILTER_FLAG_TSYNC}, every thread of the process).
     */
    public static void installFilter(final long[] program, final int flags) {
        if (program.length == 0 || program.length > MAX_INSNS) {
            throw new IllegalArgumentException("a seccomp program has 1.." + MAX_INSNS + " instructions: "
                + program.length);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment insns = arena.allocate(SOCK_FILTER.byteSize() * program.length, 8);
            for (int i = 0; i < program.length; i++) {
                insns.set(JAVA_LONG, 8L * i, program[i]);
            }
            MemorySegment prog = arena.allocate(SOCK_FPROG);
            prog.set(JAVA_SHORT, 0, (short) program.length);
            // The pointer is stored as a long, not with set(ADDRESS, ...): an ADDRESS accessor's VarHandle is the
            // JDK's first IndirectVarHandle, and loading that class after C2 has compiled the data plane (this runs
            // once the VM is set up, as the guest starts) breaks C2's assumption that VarHandle has one
            // implementation and deoptimizes every memory accessor the warm-up compiled (14 methods, among them
            // AbstractMemorySegmentImpl.get/set and BlkRequest.parse), just before the guest's first request.
            prog.set(JAVA_LONG, SOCK_FPROG.byteOffset(MemoryLayout.PathElement.groupElement("filter")),
                insns.address());
            long rc = syscallRaw(SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, flags, prog.address());
            if (rc != 0) {
                throw SysException.fromRaw("seccomp(SECCOMP_SET_MODE_FILTER, flags=" + flags + ", "
                    + program.length + " instructions)", rc < 0 ? rc : -Errno.ESRCH);
            }
        }
    }

    /** {@code syscall(nr, a0, a1, a2)}: the result, or {@code -errno}. For filters' tests and rare calls. */
    public static long syscallRaw(final long nr, final long a0, final long a1, final long a2) {
        final MemorySegment capture = Native.capture();
        final long rc;
        try {
            rc = (long) SYSCALL3.invokeExact(capture, nr, a0, a1, a2);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : rc;
    }

    /** {@code syscall(nr, a0 .. a4)}: the result, or {@code -errno}. */
    public static long syscallRaw(final long nr, final long a0, final long a1, final long a2, final long a3,
        final long a4) {
        final MemorySegment capture = Native.capture();
        final long rc;
        try {
            rc = (long) SYSCALL5.invokeExact(capture, nr, a0, a1, a2, a3, a4);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : rc;
    }
}
