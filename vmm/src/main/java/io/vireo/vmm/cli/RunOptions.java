package io.vireo.vmm.cli;

import io.vireo.dataplane.agent.DataPlane;
import io.vireo.vmm.machine.DiskConfig;
import io.vireo.vmm.machine.MachineConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static io.vireo.vmm.cli.Sizes.usage;

/** {@code vireo run} flags, parsed and checked; every problem is one line naming the flag. */
public final class RunOptions {
    static final String USAGE = """
        usage: vireo run [--guest test|linux] [--kernel PATH] [--initrd PATH] [--unpack] [--cmdline TEXT]
                         [--cpus N] [--memory SIZE] [--timeout SECONDS] [--verbose]
                         [--stats] [--stats-json FILE] [-- COMMAND...]

          --guest test     the built-in test guest (default)
          --guest linux    Debian's cloud kernel + an initramfs with busybox, fio, iperf3 (built on first
                           use by linux/build-guest-image.sh); runs COMMAND, or a shell on the console
          --kernel PATH    a bzImage (Linux 64-bit boot protocol) or an ELF with a PVH entry note
                           (default: the test guest); the file's content decides which
          --initrd PATH    an initrd (for a PVH kernel: its first module)
          --unpack         bzImage only: decompress the kernel on the host (gzip, lz4, xz) and enter
                           its startup_64 directly, skipping the in-guest decompressor
          --cmdline TEXT   the guest command line (the test guest takes exit=N loops=N ...); with
                           --guest linux it is appended to "console=ttyS0 reboot=k panic=-1"
          --cpus N         vCPUs, 1..255 (default 1)
          --memory SIZE    guest RAM: 512M, 4G, ... (a bare number is MiB; default 512M, 1G for linux)
          --timeout S      stop the VM after S seconds and exit 124 (decimals allowed)
          --disk PATH|null:SIZE[,readonly=on][,serial=ID][,backend=io_uring|sync|null][,queues=N]
                 [,poll-us=N][,direct=auto|on|off][,fixed-buffers=on][,sqpoll=on][,fail=SECTORS]
                           a virtio-blk disk (repeatable; one PCI function each), served by polling
                           queue agents; queues default to one per vCPU; poll-us (default 32) bounds
                           the adaptive poll after the last request (0: no polling);
                           null:SIZE is a disk that completes every request at once; fail=2048:10-17
                           fails requests touching those sectors with IOERR (fault injection)
          --io-threads queue|device|shared
                           queue agents: one thread per queue, per disk (default), or one for all
          --io-cpus LIST   pin the queue agents to these host CPUs, round-robin (e.g. 1 or 0,1)
          --verbose        print boot time and user-space exits by kind on stderr
          --stats          at exit, print KVM's VM and per-vCPU counters, user-space exits and the data
                           plane's counters on stderr; with the window the guest marks by POST codes
                           0xb0 (begin) and 0xb1 (end) on port 0x80, if it does
          --stats-json FILE
                           the same as one JSON object in FILE (written at exit, atomically)

        exit status: 0 guest power-off; odd N from the exit port (0xf4); 2 bad usage; 3 KVM unavailable;
        4 guest reset; 6 triple fault; 8 VMM/KVM error; 124 timeout; 130/143 SIGINT/SIGTERM
        """;

    String guest = "test";
    Path kernel;
    Path initrd;
    String cmdline = "";
    int cpus = 1;
    long memoryBytes = 512L << 20;
    boolean memorySet;
    /** The Linux guest's initramfs unpacks to about 100 MiB: give it room by default. */
    static final long LINUX_DEFAULT_MEMORY_BYTES = 1L << 30;
    long timeoutNanos;
    boolean verbose;
    boolean unpack;
    boolean help;
    boolean stats;
    Path statsJson;
    final List<String> command = new ArrayList<>();
    final List<DiskConfig> disks = new ArrayList<>();
    DataPlane.Threads ioThreads = DataPlane.Threads.PER_DEVICE;
    int[] ioCpus = new int[0];

    public static RunOptions parse(List<String> args) {
        RunOptions o = new RunOptions();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                o.command.addAll(args.subList(i + 1, args.size()));
                break;
            }
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            switch (name) {
                case "-h", "--help" -> o.help = true;
                case "-v", "--verbose" -> o.verbose = true;
                case "--unpack" -> o.unpack = true;
                case "--stats" -> o.stats = true;
                case "--guest", "--kernel", "--initrd", "--cmdline", "--cpus", "--memory", "--timeout", "--disk",
                     "--io-threads", "--io-cpus", "--stats-json" -> {
                    if (value == null) {
                        if (i + 1 >= args.size()) {
                            throw usage(name + " needs a value");
                        }
                        value = args.get(++i);
                    }
                    o.set(name, value);
                }
                default -> throw usage(a.startsWith("-") ? "unknown option " + a + " (see vireo run --help)"
                    : "unexpected argument '" + a + "' (a guest command goes after --)");
            }
        }
        return o;
    }

    private void set(String name, String value) {
        switch (name) {
            case "--guest" -> guest = value;
            case "--kernel" -> kernel = Path.of(value);
            case "--initrd" -> initrd = Path.of(value);
            case "--cmdline" -> cmdline = value;
            case "--cpus" -> cpus = Sizes.parseInt(name, value);
            case "--memory" -> {
                memoryBytes = Sizes.parseBytes(name, value);
                memorySet = true;
            }
            case "--timeout" -> timeoutNanos = parseSeconds(name, value);
            case "--disk" -> disks.add(DiskSpec.parse(value));
            case "--io-threads" -> {
                try {
                    ioThreads = DataPlane.Threads.parse(value);
                } catch (IllegalArgumentException e) {
                    throw usage("--io-threads must be queue, device or shared (got '" + value + "')");
                }
            }
            case "--io-cpus" -> ioCpus = parseCpus(name, value);
            case "--stats-json" -> statsJson = Path.of(value);
            default -> throw new IllegalStateException(name);
        }
    }

    private static int[] parseCpus(String flag, String value) {
        String[] parts = value.split(",");
        int[] cpus = new int[parts.length];
        int online = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < parts.length; i++) {
            cpus[i] = Sizes.parseInt(flag, parts[i]);
            if (cpus[i] < 0 || cpus[i] >= Math.max(online, 1024)) {
                throw usage(flag + " " + parts[i] + " is not a CPU number");
            }
        }
        return cpus;
    }

    private static long parseSeconds(String flag, String value) {
        double s;
        try {
            s = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw usage(flag + " '" + value + "' is not a number of seconds");
        }
        if (!(s > 0) || s > TimeUnit.DAYS.toSeconds(365)) {
            throw usage(flag + " must be more than 0 seconds and at most a year (got " + value + ")");
        }
        return (long) (s * 1e9);
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
                if (!memorySet) {
                    memoryBytes = LINUX_DEFAULT_MEMORY_BYTES;
                }
            }
            default -> throw usage("--guest must be 'test' or 'linux' (got '" + guest + "')");
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
        checkDisks();
        if (statsJson != null) {
            StatsJson.checkWritable(statsJson);
        }
        Path rd = initrd != null ? initrd : defaultInitrd;
        if (rd != null) {
            checkReadableFile("--initrd", rd);
        }
        return new MachineConfig(k, Optional.ofNullable(rd), List.copyOf(disks), fullCmdline, cpus, memoryBytes,
            timeoutNanos, verbose, unpack, new MachineConfig.Io(ioThreads, ioCpus), stats || statsJson != null);
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
