package io.vireo.vmm.sandbox;

import io.vireo.sys.Errno;
import io.vireo.sys.Seccomp;

import java.util.ArrayList;
import java.util.List;

/**
 * The VMM's seccomp-BPF filter (issue 18), installed once set-up is done ({@code vireo run --seccomp=on}, the
 * default): what a compromised VMM never needs is refused with EPERM ({@code on}) or allowed and logged by the kernel
 * ({@code log}), on every thread of the process (TSYNC).
 *
 * <p>A deny list, not an allow list: the JVM's own needs (GC, JIT, safepoints and handshakes, class loading, perf
 * data, JFR, async-profiler) are broad and change between JDK releases; an allow list would break the VMM on a JDK
 * update. What the JVM and the VMM keep, and why: {@code clone}/{@code clone3} (new threads: agents, vCPUs, the GC),
 * {@code mmap}/{@code mprotect}/{@code madvise}/{@code munmap} (heap, code cache, guest RAM), {@code futex},
 * {@code rt_sig*}/{@code tgkill} (the JVM's signals: safepoints, SIGQUIT thread dumps, SIGTERM shutdown),
 * {@code openat}/{@code read}/{@code write}/{@code rename} (class loading, logs, stats files, disk images),
 * {@code ioctl} (KVM), {@code io_uring_*}, {@code eventfd2}, {@code epoll_*}, {@code socket(AF_UNIX)} (the control
 * API, vhost-user), {@code perf_event_open} (async-profiler), {@code prctl} (thread names),
 * {@code sched_setaffinity} (pinning).
 *
 * <p>Refused (see {@link #DENIED}): running programs ({@code execve}, {@code execveat}); other processes' memory
 * ({@code ptrace}, {@code process_vm_readv}/{@code writev}); file systems and namespaces ({@code mount},
 * {@code umount2}, {@code pivot_root}, {@code chroot}, {@code unshare}, {@code setns}, {@code open_by_handle_at});
 * the kernel itself ({@code kexec_load}, {@code kexec_file_load}, {@code init_module}, {@code finit_module},
 * {@code delete_module}, {@code bpf}, {@code reboot}, {@code swapon}/{@code swapoff}, {@code acct},
 * {@code iopl}/{@code ioperm}, {@code personality}); the kernel keyring ({@code add_key}, {@code request_key},
 * {@code keyctl}); a further {@code seccomp} call (no filter can be loosened, but none is stacked either); sockets of
 * any family but AF_UNIX (no network socket: a tap is a file, the API a Unix socket); and every x32 system call
 * (their numbers carry bit 30 and would bypass a filter written for x86-64), as any other architecture.
 */
public final class Sandbox {
    /** What {@code --seccomp} selects. */
    public enum Mode {
        /** No filter. */
        OFF,
        /** Denied calls are allowed and logged by the kernel (audit / dmesg): to find what a set-up still needs. */
        LOG,
        /** Denied calls fail with EPERM. */
        ON
    }

    /** The system calls refused outright (x86-64 numbers); {@code socket} is refused for families but AF_UNIX. */
    public static final List<Integer> DENIED = List.of(
        Seccomp.SYS_EXECVE, Seccomp.SYS_EXECVEAT, Seccomp.SYS_PTRACE, Seccomp.SYS_PROCESS_VM_READV,
        Seccomp.SYS_PROCESS_VM_WRITEV, Seccomp.SYS_MOUNT, Seccomp.SYS_UMOUNT2, Seccomp.SYS_PIVOT_ROOT,
        Seccomp.SYS_CHROOT, Seccomp.SYS_UNSHARE, Seccomp.SYS_SETNS, Seccomp.SYS_OPEN_BY_HANDLE_AT,
        Seccomp.SYS_KEXEC_LOAD, Seccomp.SYS_KEXEC_FILE_LOAD, Seccomp.SYS_INIT_MODULE, Seccomp.SYS_FINIT_MODULE,
        Seccomp.SYS_DELETE_MODULE, Seccomp.SYS_BPF, Seccomp.SYS_REBOOT, Seccomp.SYS_SWAPON, Seccomp.SYS_SWAPOFF,
        Seccomp.SYS_ACCT, Seccomp.SYS_IOPL, Seccomp.SYS_IOPERM, Seccomp.SYS_PERSONALITY, Seccomp.SYS_ADD_KEY,
        Seccomp.SYS_REQUEST_KEY, Seccomp.SYS_KEYCTL, Seccomp.SYS_SECCOMP);

    private Sandbox() {
    }

    /** The filter for {@code mode} ({@code OFF} has none: an empty program). */
    public static long[] program(Mode mode) {
        if (mode == Mode.OFF) {
            return new long[0];
        }
        int deny = mode == Mode.ON ? Seccomp.SECCOMP_RET_ERRNO | Errno.EPERM : Seccomp.SECCOMP_RET_LOG;
        int n = DENIED.size();
        // Layout: 0 ld arch; 1 jeq x86-64; 2 ret deny; 3 ld nr; 4 jge x32; 5.. jeq denied[i];
        // 5+n jeq socket; 6+n ld args[0]; 7+n jeq AF_UNIX; 8+n ret allow; 9+n ret deny.
        int allowAt = 8 + n;
        int denyAt = 9 + n;
        List<Long> p = new ArrayList<>(denyAt + 1);
        p.add(Seccomp.insn(Seccomp.BPF_LD_W_ABS, 0, 0, Seccomp.DATA_ARCH_OFFSET));
        p.add(Seccomp.insn(Seccomp.BPF_JMP_JEQ_K, 1, 0, Seccomp.AUDIT_ARCH_X86_64));
        p.add(Seccomp.insn(Seccomp.BPF_RET_K, 0, 0, deny));
        p.add(Seccomp.insn(Seccomp.BPF_LD_W_ABS, 0, 0, Seccomp.DATA_NR_OFFSET));
        p.add(Seccomp.insn(Seccomp.BPF_JMP_JGE_K, denyAt - 5, 0, Seccomp.X32_SYSCALL_BIT));
        for (int i = 0; i < n; i++) {
            p.add(Seccomp.insn(Seccomp.BPF_JMP_JEQ_K, denyAt - (6 + i), 0, DENIED.get(i)));
        }
        p.add(Seccomp.insn(Seccomp.BPF_JMP_JEQ_K, 0, allowAt - (6 + n), Seccomp.SYS_SOCKET));
        p.add(Seccomp.insn(Seccomp.BPF_LD_W_ABS, 0, 0, Seccomp.DATA_ARGS_OFFSET));
        p.add(Seccomp.insn(Seccomp.BPF_JMP_JEQ_K, allowAt - (8 + n), denyAt - (8 + n), Seccomp.AF_UNIX));
        p.add(Seccomp.insn(Seccomp.BPF_RET_K, 0, 0, Seccomp.SECCOMP_RET_ALLOW));
        p.add(Seccomp.insn(Seccomp.BPF_RET_K, 0, 0, deny));
        long[] out = new long[p.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = p.get(i);
        }
        return out;
    }

    /**
     * Installs the filter for {@code mode} on every thread of this process (irreversible); nothing for {@code OFF}.
     * Call once set-up is done: the VMM's files, KVM, guest RAM and agent threads exist.
     */
    public static void install(Mode mode) {
        if (mode == Mode.OFF) {
            return;
        }
        Seccomp.setNoNewPrivs();
        Seccomp.installFilter(program(mode), Seccomp.SECCOMP_FILTER_FLAG_TSYNC);
    }
}
