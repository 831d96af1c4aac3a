package io.vireo.vmm.cli;

import io.vireo.dataplane.agent.DataPlane;
import io.vireo.vmm.machine.DiskConfig;
import io.vireo.vmm.machine.MachineConfig;
import io.vireo.vmm.machine.VhostUserConfig;
import io.vireo.vmm.pci.PciBus;
import io.vireo.vmm.pci.PciSegments;
import io.vireo.vmm.sandbox.Sandbox;

import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.vireo.vmm.cli.Sizes.usage;

/**
 * {@code vireo run} flags: the one list of them, each with its help text and converter. Values are converted
 * as they are parsed ({@link Converters}); {@link #toConfig} checks what depends on several flags or on files.
 * Every problem is one line naming the flag.
 */
public final class RunOptions {
    /** What --seccomp chose (applied by {@code RunCommand} once the machine is set up). */
    public Sandbox.Mode seccomp() {
        return seccomp;
    }

    static final long DEFAULT_MEMORY_BYTES = 512L << 20;
    /** The Linux guest's initramfs unpacks to about 100 MiB: give it room by default. */
    static final long LINUX_DEFAULT_MEMORY_BYTES = 1L << 30;

    @Option(names = "--guest", paramLabel = "test|linux", description = {
        "test: the built-in test guest (default)",
        "linux: Debian's cloud kernel + an initramfs with busybox, fio, iperf3 (built on first use by "
            + "linux/build-guest-image.sh); runs COMMAND, or a shell on the console"})
    String guest = "test";

    @Option(names = "--kernel", paramLabel = "PATH", description = "a bzImage (Linux 64-bit boot protocol) or an ELF "
        + "with a PVH entry note (default: the test guest); the file's content decides which")
    Path kernel;

    @Option(names = "--initrd", paramLabel = "PATH", description = "an initrd (for a PVH kernel: its first module)")
    Path initrd;

    @Option(names = "--unpack", description = "bzImage only: decompress the kernel on the host (gzip, lz4, xz) and "
        + "enter its startup_64 directly, skipping the in-guest decompressor")
    boolean unpack;

    @Option(names = "--cmdline", paramLabel = "TEXT", description = "the guest command line (the test guest takes "
        + "exit=N loops=N fault=... reset=...); with --guest linux it is appended to "
        + "\"console=ttyS0 reboot=k panic=-1\"")
    String cmdline = "";

    @Option(names = "--cpus", paramLabel = "N", converter = Converters.WholeNumber.class,
        description = "vCPUs, 1..255 (default 1)")
    int cpus = 1;

    @Option(names = "--memory", paramLabel = "SIZE", converter = Converters.Bytes.class,
        description = "guest RAM: 512M, 4G, ... (a bare number is MiB; default 512M, 1G for linux)")
    Long memoryBytes;

    @Option(names = "--timeout", paramLabel = "SECONDS", converter = Converters.SecondsToNanos.class,
        description = "stop the VM after this many seconds and exit 124 (decimals allowed)")
    long timeoutNanos;

    @Option(names = "--disk", paramLabel = "PATH|null:SIZE[,key=value]...", converter = Converters.Disk.class,
        description = {
            "a virtio-blk disk (repeatable; one PCI function each), served by polling queue agents. Keys: "
                + "readonly=on, serial=ID, backend=io_uring|sync|null, queues=N (default: one per vCPU), "
                + "poll-us=N (bound of the adaptive poll, default 128; 0: no polling), direct=auto|on|off, "
                + "fixed-buffers=on, sqpoll=on, "
                + "fail=SECTORS (e.g. 2048:10-17: requests touching them fail with IOERR).",
            "null:SIZE is a disk that completes every request at once (no file)",
            "vhost-user=SOCKET[,queues=N][,queue-size=N] is a disk served by another process (qemu-storage-daemon, "
                + "vireo vhost-user-blk) over vhost-user"})
    final List<DiskSpec.Parsed> diskArgs = new ArrayList<>();

    @Option(names = "--fs", paramLabel = "tag=TAG,socket=SOCKET[,queues=N][,queue-size=N]",
        converter = Converters.Fs.class, description = "a shared directory as a virtio-fs device (repeatable; one PCI "
            + "function each), served by virtiofsd on SOCKET; the guest mounts it with mount -t virtiofs TAG DIR")
    final List<VhostUserConfig> fsArgs = new ArrayList<>();

    /** The in-process disks of {@link #diskArgs}, filled by {@link #toConfig}. */
    final List<DiskConfig> disks = new ArrayList<>();

    @Option(names = "--pci-segments", paramLabel = "N", converter = Converters.WholeNumber.class,
        description = "PCI segments (host bridges of 31 slots each), 1..16; more are added when the disks need them")
    int pciSegments = 1;

    @Option(names = "--net", paramLabel = "tap=NAME|loopback[,key=value]...", converter = Converters.Net.class,
        description = {
            "a virtio-net device (repeatable; one PCI function each), served by polling queue agents. tap=NAME uses "
                + "the host tap NAME (created if missing; needs CAP_NET_ADMIN); loopback sends every frame back with "
                + "the MACs swapped. Keys: mac=XX:XX:XX:XX:XX:XX, queues=N (queue pairs; a multi-queue tap), "
                + "mtu=N (offered and set on the tap), poll-us=N."})
    final List<io.vireo.vmm.machine.NetConfig> nets = new ArrayList<>();

    @Option(names = "--io-threads", paramLabel = "queue|device|shared", converter = Converters.IoThreads.class,
        description = "queue agents: one thread per queue, per disk (default), or one for all")
    DataPlane.Threads ioThreads = DataPlane.Threads.PER_DEVICE;

    @Option(names = "--io-cpus", paramLabel = "LIST", converter = Converters.CpuList.class,
        description = "pin the queue agents to these host CPUs, round-robin (e.g. 1 or 0,1)")
    Converters.Cpus ioCpus = Converters.Cpus.NONE;

    @Option(names = "--api-socket", paramLabel = "PATH", description = "serve the control API (HTTP/1.1 + JSON, "
        + "as Cloud Hypervisor's) on a Unix socket at PATH, owner-only: curl --unix-socket PATH "
        + "http://localhost/api/v1/vm.info, or vireo ctl --api-socket PATH info")
    Path apiSocket;

    @Option(names = "--seccomp", paramLabel = "off|log|on", converter = Converters.SeccompMode.class,
        description = "after set-up, a seccomp filter refuses execve, ptrace, mount, kexec, module loading, bpf, "
            + "non-Unix sockets and more (on, the default: EPERM; log: allowed and logged by the kernel; off: none)")
    Sandbox.Mode seccomp = Sandbox.Mode.ON;

    @Option(names = {"-v", "--verbose"}, description = "boot time and user-space exits by kind on stderr; "
        + "stack traces with errors")
    boolean verbose;

    @Option(names = "--stats", description = "at exit, KVM's VM and per-vCPU counters, user-space exits and the data "
        + "plane's counters on stderr; with the window the guest marks by POST codes 0xb0 (begin) and 0xb1 (end) "
        + "on port 0x80, if it does")
    boolean stats;

    @Option(names = "--stats-json", paramLabel = "FILE",
        description = "the same as one JSON object in FILE (written at exit, atomically)")
    Path statsJson;

    @Option(names = "--run-dir", paramLabel = "DIR", description = "where the VM's run directory DIR/<pid>/ with its "
        + "live counters goes (read by vireo stat); default $XDG_RUNTIME_DIR/vireo, /run/vireo as root")
    Path runRoot;

    @Option(names = "--trace", paramLabel = "FILE[,records=N][,full=wrap|stop]", converter = Converters.Trace.class,
        description = "record every request (time, disk, queue, op, sector, length, status, service ns) in FILE, a "
            + "memory-mapped journal of N records (default 1048576); a full journal wraps (keeps the latest, "
            + "default) or stops; read it with vireo trace")
    MachineConfig.Trace trace;

    static final long DEFAULT_TRACE_RECORDS = 1L << 20;
    static final long MAX_TRACE_RECORDS = 1L << 30;

    @Parameters(paramLabel = "-- COMMAND", description = "the command the Linux guest runs (its exit status is "
        + "Vireo's)")
    final List<String> command = new ArrayList<>();

    /** Parses {@code args} (after {@code run}) on their own, as {@code vireo run} does (tests). */
    public static RunOptions parse(List<String> args) {
        RunOptions o = new RunOptions();
        CommandLine cl = Cli.configure(new CommandLine(o));
        try {
            cl.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw CliErrors.of(e);
        }
        o.checkCommandAfterDoubleDash(args);
        return o;
    }

    /**
     * picocli takes positional arguments before and after {@code --} alike; a guest command must come after it
     * ({@code vireo run --cpus 2 -- uname -r}), so anything more than what follows the first {@code --} is a
     * stray argument. (picocli refuses {@code --} as an option's value, so the first one is the delimiter.)
     */
    void checkCommandAfterDoubleDash(List<String> originalArgs) {
        int dash = originalArgs.indexOf("--");
        int after = dash < 0 ? 0 : originalArgs.size() - dash - 1;
        if (command.size() > after) {
            throw usage("unexpected argument '" + command.get(0) + "' (a guest command goes after --)");
        }
    }

    /** Checks values and files; {@code defaultKernel} supplies the test guest when --kernel is absent. */
    public MachineConfig toConfig(java.util.function.Supplier<Path> defaultKernel) {
        String fullCmdline = cmdline;
        Path defaultInitrd = null;
        switch (guest) {
            case "test" -> {
                if (!command.isEmpty()) {
                    throw usage("a guest command (after --) needs --guest linux");
                }
            }
            case "linux" -> {
                if (kernel == null) {
                    LinuxGuestImage.ensureBuilt();
                    defaultKernel = LinuxGuestImage::bzImage;
                    defaultInitrd = initrd == null ? LinuxGuestImage.initramfs() : null;
                }
                StringBuilder sb = new StringBuilder(LinuxGuestImage.BASE_CMDLINE);
                // A command's output is what the user asked for: keep kernel messages out of it
                // unless --verbose, which also turns on the early console.
                if (verbose) {
                    sb.append(" earlyprintk=serial,ttyS0,115200");
                } else if (!command.isEmpty()) {
                    sb.append(" quiet");
                }
                if (!cmdline.isEmpty()) {
                    sb.append(' ').append(cmdline);
                }
                if (!command.isEmpty()) {
                    sb.append(' ').append(LinuxGuestImage.commandArgument(command));
                }
                fullCmdline = sb.toString();
                if (memoryBytes == null) {
                    memoryBytes = LINUX_DEFAULT_MEMORY_BYTES;
                }
            }
            default -> throw usage("--guest must be 'test' or 'linux' (got '" + guest + "')");
        }
        if (memoryBytes == null) {
            memoryBytes = DEFAULT_MEMORY_BYTES;
        }
        if (cpus < 1 || cpus > MachineConfig.MAX_CPUS) {
            throw usage("--cpus must be between 1 and " + MachineConfig.MAX_CPUS + " (got " + cpus + ")");
        }
        if (memoryBytes < MachineConfig.MIN_MEMORY_BYTES || memoryBytes > MachineConfig.MAX_MEMORY_BYTES) {
            throw usage("--memory must be between 16M and 1T (got " + memoryBytes + " bytes)");
        }
        if ((memoryBytes & 0xfffff) != 0) {
            throw usage("--memory must be a whole number of MiB (got " + memoryBytes + " bytes)");
        }
        Path k = kernel != null ? kernel : defaultKernel.get();
        checkReadableFile("--kernel", k);
        disks.clear();
        List<VhostUserConfig> vhostUser = new ArrayList<>();
        for (DiskSpec.Parsed d : diskArgs) {
            if (d.disk() != null) {
                disks.add(d.disk());
            } else {
                vhostUser.add(d.vhostUser());
            }
        }
        vhostUser.addAll(fsArgs);
        checkDisks();
        if (pciSegments < 1 || pciSegments > PciSegments.MAX_SEGMENTS) {
            throw usage("--pci-segments must be 1.." + PciSegments.MAX_SEGMENTS + " (got " + pciSegments + ")");
        }
        if (PciSegments.needed(disks.size()) > PciSegments.MAX_SEGMENTS) {
            throw usage(disks.size() + " disks do not fit: " + PciSegments.MAX_SEGMENTS + " PCI segments hold "
                + PciSegments.MAX_SEGMENTS * PciBus.CAPACITY + " devices");
        }
        if (statsJson != null) {
            StatsJson.checkWritable(statsJson);
        }
        if (trace != null) {
            StatsJson.checkWritable("--trace", trace.file());
        }
        if (runRoot != null && Files.exists(runRoot) && !Files.isDirectory(runRoot)) {
            throw usage("--run-dir " + runRoot + ": not a directory");
        }
        Path rd = initrd != null ? initrd : defaultInitrd;
        if (rd != null) {
            checkReadableFile("--initrd", rd);
        }
        return new MachineConfig(k, Optional.ofNullable(rd), List.copyOf(disks), fullCmdline, cpus, memoryBytes,
            timeoutNanos, verbose, unpack, new MachineConfig.Io(ioThreads, ioCpus.list()), stats || statsJson != null,
            runRoot, trace, pciSegments, vhostUser, List.copyOf(nets));
    }

    /** {@code FILE[,records=N][,full=wrap|stop]}. */
    static MachineConfig.Trace parseTrace(String value) {
        String[] parts = value.split(",", -1);
        if (parts[0].isEmpty()) {
            throw usage("--trace needs a file name: --trace FILE[,records=N][,full=wrap|stop]");
        }
        long records = DEFAULT_TRACE_RECORDS;
        boolean wrap = true;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i];
            if (p.startsWith("records=")) {
                records = Sizes.parseInt("--trace records", p.substring(8));
                if (records < 1 || records > MAX_TRACE_RECORDS) {
                    throw usage("--trace records must be between 1 and " + MAX_TRACE_RECORDS + " (got " + records
                        + ")");
                }
            } else if (p.equals("full=wrap") || p.equals("full=stop")) {
                wrap = p.equals("full=wrap");
            } else {
                throw usage("--trace: unknown option '" + p + "' (records=N, full=wrap|stop)");
            }
        }
        return new MachineConfig.Trace(Path.of(parts[0]), records, wrap);
    }

    /** Each disk a regular file of at least one sector; no file twice unless every use is read-only. */
    private void checkDisks() {
        java.util.Map<Object, DiskConfig> seen = new java.util.HashMap<>();
        for (DiskConfig d : disks) {
            Path p = d.path();
            if (p == null) {
                continue;
            }
            checkReadableFile("--disk", p);
            try {
                long size = java.nio.file.Files.size(p);
                if (size < 512) {
                    throw usage("--disk " + p + ": " + size + " bytes is smaller than one 512-byte sector");
                }
                if (!d.readOnly() && !java.nio.file.Files.isWritable(p)) {
                    throw usage("--disk " + p + ": not writable (add ,readonly=on)");
                }
                Object key = java.nio.file.Files.readAttributes(p,
                    java.nio.file.attribute.BasicFileAttributes.class).fileKey();
                DiskConfig before = seen.putIfAbsent(key != null ? key : p.toRealPath(), d);
                if (before != null && (!before.readOnly() || !d.readOnly())) {
                    throw usage("--disk " + p + ": the same file as --disk " + before.path()
                        + "; a file may be shared only when every use is readonly=on");
                }
            } catch (java.io.IOException e) {
                throw usage("--disk " + p + ": cannot read (" + e.getMessage() + ")");
            }
        }
    }

    private static void checkReadableFile(String flag, Path p) {
        if (!Files.exists(p)) {
            throw usage(flag + " " + p + ": no such file");
        }
        if (Files.isDirectory(p)) {
            throw usage(flag + " " + p + ": is a directory");
        }
        if (!Files.isReadable(p)) {
            throw usage(flag + " " + p + ": not readable");
        }
    }
}
