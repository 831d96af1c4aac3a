package io.vireo.bench.run;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * Host CPU time of a process's threads, summed by role from their names: {@code /proc/PID/task/TID/comm} says who a
 * thread is, {@code schedstat}'s first field how many nanoseconds it has run (the scheduler's own clock, not the
 * 10 ms ticks of {@code stat}). Read at the start and the end of the guest's timed phase; the difference over the
 * requests is the CPU price of an I/O on each side.
 *
 * @param vcpuNs  threads running guest CPUs (Vireo {@code vcpu0…}, QEMU {@code CPU 0/KVM…})
 * @param agentNs threads serving the disk's queues (Vireo {@code vireo-io-…}, QEMU's iothread {@code IO io0})
 * @param otherNs everything else in the process (JIT, GC, QEMU's main loop, …)
 */
public record ThreadCpu(long vcpuNs, long agentNs, long otherNs) {

    /** How a VMM names its threads. */
    public record Roles(Predicate<String> vcpu, Predicate<String> agent) {
    }

    /** Vireo: agrona names an agent's thread by its role: {@code disk0} (per device), {@code disk0-q1}, {@code io}. */
    public static final Roles VIREO = new Roles(n -> n.startsWith("vcpu"),
        n -> n.startsWith("vireo-io-") || n.equals("io") || n.matches("disk[0-9]+(-q[0-9]+)?"));
    public static final Roles QEMU =
        new Roles(n -> n.startsWith("CPU ") && n.endsWith("/KVM"), n -> n.startsWith("IO "));

    /** Now, for process {@code pid}; threads that end while being read are skipped. */
    public static ThreadCpu sample(long pid, Roles roles) throws IOException {
        long vcpu = 0;
        long agent = 0;
        long other = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                String name;
                long ns;
                try {
                    name = Files.readString(task.resolve("comm")).strip();
                    String sched = Files.readString(task.resolve("schedstat")).strip();
                    int sp = sched.indexOf(' ');
                    ns = Long.parseLong(sp < 0 ? sched : sched.substring(0, sp));
                } catch (IOException | NumberFormatException e) {
                    continue;
                }
                if (roles.vcpu().test(name)) {
                    vcpu += ns;
                } else if (roles.agent().test(name)) {
                    agent += ns;
                } else {
                    other += ns;
                }
            }
        }
        return new ThreadCpu(vcpu, agent, other);
    }

    /**
     * The process, among {@code started} and its descendants (a launcher script may run the VMM as a child), that has
     * a vCPU thread; -1 if none has one yet.
     */
    public static long vmmPid(ProcessHandle started, Roles roles) {
        if (hasVcpu(started.pid(), roles)) {
            return started.pid();
        }
        return started.descendants().mapToLong(ProcessHandle::pid).filter(p -> hasVcpu(p, roles)).findFirst()
            .orElse(-1);
    }

    /** Whether the process has a thread of the vCPU role yet (the VMM is up). */
    static boolean hasVcpu(long pid, Roles roles) {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    if (roles.vcpu().test(Files.readString(task.resolve("comm")).strip())) {
                        return true;
                    }
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    public ThreadCpu minus(ThreadCpu earlier) {
        return new ThreadCpu(vcpuNs - earlier.vcpuNs, agentNs - earlier.agentNs, otherNs - earlier.otherNs);
    }
}
