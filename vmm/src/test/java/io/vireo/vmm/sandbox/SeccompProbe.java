package io.vireo.vmm.sandbox;

import io.vireo.dataplane.memory.MemfdGuestMemory;
import io.vireo.sys.Seccomp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Run in a child JVM by {@link SeccompTest} (a filter cannot be removed): installs the filter for the mode in
 * {@code args[0]}, then makes every denied call with arguments that are harmless without the filter (null pointers,
 * bad fds, invalid flags: each would fail with EFAULT, EBADF, EINVAL, ...), prints {@code call rc} per line, then
 * shows the JVM still works (threads, GC, guest RAM, files, AF_UNIX sockets) and prints {@code alive}.
 */
public final class SeccompProbe {
    private SeccompProbe() {
    }

    public static void main(String[] args) throws Exception {
        Sandbox.Mode mode = Sandbox.Mode.valueOf(args[0]);
        Sandbox.install(mode);
        Map<String, long[]> calls = new LinkedHashMap<>();
        calls.put("execve", new long[] {Seccomp.SYS_EXECVE, 0, 0, 0});
        calls.put("execveat", new long[] {Seccomp.SYS_EXECVEAT, -1, 0, 0});
        calls.put("ptrace", new long[] {Seccomp.SYS_PTRACE, -1, 0, 0});
        calls.put("process_vm_readv", new long[] {Seccomp.SYS_PROCESS_VM_READV, 0, 0, 0});
        calls.put("process_vm_writev", new long[] {Seccomp.SYS_PROCESS_VM_WRITEV, 0, 0, 0});
        calls.put("mount", new long[] {Seccomp.SYS_MOUNT, 0, 0, 0});
        calls.put("umount2", new long[] {Seccomp.SYS_UMOUNT2, 0, 0, 0});
        calls.put("pivot_root", new long[] {Seccomp.SYS_PIVOT_ROOT, 0, 0, 0});
        calls.put("chroot", new long[] {Seccomp.SYS_CHROOT, 0, 0, 0});
        calls.put("unshare", new long[] {Seccomp.SYS_UNSHARE, -1, 0, 0});
        calls.put("setns", new long[] {Seccomp.SYS_SETNS, -1, 0, 0});
        calls.put("open_by_handle_at", new long[] {Seccomp.SYS_OPEN_BY_HANDLE_AT, -1, 0, 0});
        calls.put("kexec_load", new long[] {Seccomp.SYS_KEXEC_LOAD, 0, 0, 0, -1, 0});
        calls.put("kexec_file_load", new long[] {Seccomp.SYS_KEXEC_FILE_LOAD, -1, -1, 0});
        calls.put("init_module", new long[] {Seccomp.SYS_INIT_MODULE, 0, 0, 0});
        calls.put("finit_module", new long[] {Seccomp.SYS_FINIT_MODULE, -1, 0, 0});
        calls.put("delete_module", new long[] {Seccomp.SYS_DELETE_MODULE, 0, 0, 0});
        calls.put("bpf", new long[] {Seccomp.SYS_BPF, -1, 0, 0});
        calls.put("reboot", new long[] {Seccomp.SYS_REBOOT, 0, 0, 0});
        calls.put("swapon", new long[] {Seccomp.SYS_SWAPON, 0, 0, 0});
        calls.put("swapoff", new long[] {Seccomp.SYS_SWAPOFF, 0, 0, 0});
        calls.put("iopl", new long[] {Seccomp.SYS_IOPL, 99, 0, 0});
        calls.put("ioperm", new long[] {Seccomp.SYS_IOPERM, -1, 1, 1});
        calls.put("acct", new long[] {Seccomp.SYS_ACCT, 1, 0, 0});
        calls.put("personality", new long[] {Seccomp.SYS_PERSONALITY, 0xffff_ffffL, 0, 0});
        calls.put("add_key", new long[] {Seccomp.SYS_ADD_KEY, 0, 0, 0});
        calls.put("request_key", new long[] {Seccomp.SYS_REQUEST_KEY, 0, 0, 0});
        calls.put("keyctl", new long[] {Seccomp.SYS_KEYCTL, -1, 0, 0});
        calls.put("seccomp", new long[] {Seccomp.SYS_SECCOMP, -1, 0, 0});
        calls.put("socket_inet", new long[] {Seccomp.SYS_SOCKET, 2, 1, 0});
        calls.put("socket_netlink", new long[] {Seccomp.SYS_SOCKET, 16, 3, 0});
        calls.put("x32_getpid", new long[] {Seccomp.X32_SYSCALL_BIT | 39, 0, 0, 0});
        for (Map.Entry<String, long[]> e : calls.entrySet()) {
            long[] c = e.getValue();
            long rc = c.length > 4 ? Seccomp.syscallRaw(c[0], c[1], c[2], c[3], c[4], c[5])
                : Seccomp.syscallRaw(c[0], c[1], c[2], c[3]);
            System.out.println(e.getKey() + " " + rc);
        }
        long unix = Seccomp.syscallRaw(Seccomp.SYS_SOCKET, Seccomp.AF_UNIX, 1, 0);
        System.out.println("socket_unix " + (unix >= 0 ? "ok" : Long.toString(unix)));
        try {
            new ProcessBuilder("/bin/true").start().waitFor();
            System.out.println("process ok");
        } catch (IOException e) {
            System.out.println("process refused");
        }
        // The JVM keeps working: threads, allocation and GC, guest RAM, files.
        List<byte[]> garbage = new ArrayList<>();
        Thread t = new Thread(() -> {
            for (int i = 0; i < 2000; i++) {
                garbage.add(new byte[64 * 1024]);
                if (garbage.size() > 100) {
                    garbage.clear();
                }
            }
        });
        t.start();
        t.join();
        System.gc();
        try (MemfdGuestMemory mem = MemfdGuestMemory.allocate(64L << 20)) {
            mem.slice(0, 4096).fill((byte) 1);
        }
        Path f = Files.createTempFile("seccomp-probe", ".txt");
        Files.writeString(f, "still here");
        System.out.println(Files.readString(f).equals("still here") ? "alive" : "broken");
        Files.delete(f);
    }
}
