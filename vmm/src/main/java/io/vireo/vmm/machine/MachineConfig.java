package io.vireo.vmm.machine;

import io.vireo.dataplane.agent.DataPlane;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What to boot and on what machine. Validated by the CLI before a machine is built.
 *
 * @param kernel         an ELF with a PVH note
 * @param initrd         loaded as the first PVH module, if present
 * @param disks          virtio-blk disks, one PCI function each
 * @param cmdline        the guest command line
 * @param cpus           vCPU count
 * @param memoryBytes    guest RAM
 * @param timeoutNanos   stop the VM after this long (0: never)
 * @param verbose        print boot time and exit counts on stderr
 * @param unpackKernel   for a bzImage: decompress on the host, enter vmlinux's startup_64
 * @param io             how the disks' queue agents are threaded and pinned
 * @param stats          collect KVM's stats (binary stats fds) and the POST-code window marks
 * @param runRoot        where the VM's run directory (live counters) goes: ROOT/pid/; null for the default
 * @param trace          the request trace, or null for none
 * @param pciSegments    PCI segments to create at least (more when the disks need them)
 * @param vhostUser      devices served by other processes over vhost-user (disks, virtio-fs mounts)
 * @param nets           virtio-net devices, one PCI function each
 */
public record MachineConfig(Path kernel, Optional<Path> initrd, List<DiskConfig> disks, String cmdline, int cpus,
                            long memoryBytes,
                            long timeoutNanos, boolean verbose, boolean unpackKernel, Io io, boolean stats,
                            Path runRoot, Trace trace, int pciSegments, List<VhostUserConfig> vhostUser,
                            List<NetConfig> nets) {

    public MachineConfig {
        vhostUser = vhostUser == null ? List.of() : List.copyOf(vhostUser);
        nets = nets == null ? List.of() : List.copyOf(nets);
    }

    /** Without network devices. */
    public MachineConfig(Path kernel, Optional<Path> initrd, List<DiskConfig> disks, String cmdline, int cpus,
                         long memoryBytes, long timeoutNanos, boolean verbose, boolean unpackKernel, Io io,
                         boolean stats, Path runRoot, Trace trace, int pciSegments, List<VhostUserConfig> vhostUser) {
        this(kernel, initrd, disks, cmdline, cpus, memoryBytes, timeoutNanos, verbose, unpackKernel, io, stats,
            runRoot, trace, pciSegments, vhostUser, List.of());
    }

    /** {@code --trace FILE[,records=N][,full=wrap|stop]}. */
    public record Trace(Path file, long records, boolean wrap) {
    }

    /** Queue agent threading ({@code --io-threads}) and pinning ({@code --io-cpus}, empty = none). */
    public record Io(DataPlane.Threads threads, int[] cpus) {
        public static final Io DEFAULT = new Io(DataPlane.Threads.PER_DEVICE, new int[0]);
    }

    public static final int MAX_CPUS = 255;
    public static final long MIN_MEMORY_BYTES = 16L << 20;
    /** 1 TiB: far below the 46-bit guest-physical space KVM offers everywhere we run. */
    public static final long MAX_MEMORY_BYTES = 1L << 40;
}
