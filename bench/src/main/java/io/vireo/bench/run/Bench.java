package io.vireo.bench.run;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code vireo bench}: every job, on Vireo and (with --vs-qemu) QEMU, rounds alternating between the VMMs in the same
 * run (the machine is shared and noisy: both see the same conditions); then the table on stdout, the JSON, the charts,
 * and with --profile a flame graph per job.
 */
public final class Bench {
    /** The disk image of the file jobs: made once, reused (its content does not matter, it must not be sparse). */
    static final long IMAGE_BYTES = 512L << 20;
    /** Round trips of the core-to-core probe before each run (~25-110 ms here). */
    static final int CORE_RT_TRIPS = 200_000;
    static final String QEMU_HINT = "vireo bench: qemu-system-x86_64 not found: the QEMU columns are left out "
        + "(install it: apt-get install qemu-system-x86, or scripts/setup)";

    private final BenchOptions options;
    private final Path root;
    private final PrintStream out;
    private final PrintStream err;
    private final Progress progress;

    public Bench(BenchOptions options, Path root, PrintStream out, PrintStream err, boolean terminal) {
        this.options = options;
        this.root = root;
        this.out = out;
        this.err = err;
        this.progress = new Progress(err, terminal);
    }

    /** Runs everything; returns the exit status (0, or 1 when a job has no result on some VMM). */
    public int run(List<String> commandLine) throws IOException, InterruptedException {
        Path guest = root.resolve("guest/target/classes/io/vireo/guest/vireo-test-guest.elf");
        if (!Files.isRegularFile(guest)) {
            throw new IOException("the test guest is not built (" + guest + "): run ./mvnw install -DskipTests");
        }
        List<Vmm> vmms = new ArrayList<>(List.of(new VireoVmm(root)));
        if (options.vsQemu()) {
            if (QemuVmm.find() == null) {
                err.println(QEMU_HINT);
            } else {
                vmms.add(new QemuVmm(guest));
            }
        }
        Path dir = options.out();
        Files.createDirectories(dir);
        Path work = Files.createTempDirectory("vireo-bench");
        Path image = options.jobs().stream().anyMatch(j -> j.backend() != Job.Backend.NULL) ? image() : null;
        List<String> names = vmms.stream().map(Vmm::name).toList();
        List<JobResult> results = new ArrayList<>();
        options.jobs().forEach(j -> results.add(new JobResult(j, names)));

        int total = options.jobs().size() * (options.rounds() * vmms.size() + (options.profileEvent() != null ? 1 : 0));
        progress.start(total);
        for (int round = 1; round <= options.rounds(); round++) {
            for (JobResult r : results) {
                for (Vmm vmm : vmms) {
                    progress.step(r.job().name(), round, options.rounds(), vmm.name());
                    try {
                        cacheIfCached(r.job(), image);
                        double coreRt = CoreRoundTrip.measureNs(CORE_RT_TRIPS);
                        Measurement m = vmm.run(r.job(), new Vmm.RunSpec(options.seconds(), options.quick(), image,
                            work, null));
                        r.add(vmm.name(), Double.isNaN(coreRt) ? m : m.with(Metric.CORE_RT_NS, coreRt));
                    } catch (IOException | RuntimeException e) {
                        r.failed(vmm.name(), e.getMessage());
                        progress.clear();
                        err.println("vireo bench: " + r.job().name() + " on " + vmm.name() + ", round " + round
                            + ": " + e.getMessage());
                    }
                }
            }
        }
        if (options.profileEvent() != null) {
            Path flames = Files.createDirectories(dir.resolve("flamegraphs"));
            for (JobResult r : results) {
                progress.step(r.job().name(), 0, options.rounds(), "vireo, profiled");
                Path html = flames.resolve(r.job().name() + ".html");
                try {
                    cacheIfCached(r.job(), image);
                    vmms.get(0).run(r.job(), new Vmm.RunSpec(options.seconds(), options.quick(), image, work,
                        new AsyncProfiler.Request(options.profileEvent(), html)));
                    r.flameGraph(dir.relativize(html).toString());
                } catch (IOException | RuntimeException e) {
                    progress.clear();
                    err.println("vireo bench: profile of " + r.job().name() + ": " + e.getMessage());
                }
            }
        }
        progress.done();
        deleteTree(work);

        boolean vsQemu = names.contains("qemu");
        String table = Report.markdown(results, vsQemu);
        String date = ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        String command = "vireo bench" + (commandLine.isEmpty() ? "" : " " + String.join(" ", commandLine));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("tool", "vireo bench");
        settings.put("date", date);
        settings.put("command", command);
        settings.put("host", host());
        settings.put("quick", options.quick());
        settings.put("rounds", options.rounds());
        settings.put("seconds", options.seconds());
        settings.put("vmms", names);
        Files.writeString(dir.resolve("results.json"), Json.write(Report.json(settings, results)));
        Files.writeString(dir.resolve("table.md"), "`" + command + "` on " + date + "\n\n" + table);
        List<String> charts = Charts.write(dir, results, date.substring(0, 10) + (options.quick() ? ", --quick" : ""));
        out.print(table);
        out.println();
        out.println("vireo bench: " + dir.resolve("results.json") + ", table.md, " + String.join(", ", charts)
            + (options.profileEvent() != null ? ", flamegraphs/" : ""));
        boolean complete = results.stream().allMatch(r -> r.vmms().stream().allMatch(v -> r.median(v) != null));
        return complete ? 0 : 1;
    }

    /**
     * Before every run of a page-cached job, on every VMM: reads the whole image once on the host (untimed), so that
     * each VMM starts with the image in the page cache. Without it the first VMM of a round paid the disk reads and
     * left the cache warm for the next: `--quick --vs-qemu` (one round, Vireo first) showed Vireo at 0.15x QEMU on
     * the cached QD 32 job, where rounds that found the cache warm gave 0.8-0.9x.
     */
    private static void cacheIfCached(Job job, Path image) throws IOException {
        if (job.backend() != Job.Backend.CACHED || image == null) {
            return;
        }
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(1 << 20);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(image)) {
            while (ch.read(buf) > 0) {
                buf.clear();
            }
        }
    }

    /** A 512 MiB image of non-zero bytes under /var/tmp (a disk file system: O_DIRECT works there), made once. */
    private Path image() throws IOException {
        Path dir = Path.of(System.getProperty("vireo.bench.imageDir", "/var/tmp/vireo-bench"));
        Files.createDirectories(dir);
        Path img = dir.resolve("disk-512M.img");
        if (Files.isRegularFile(img) && Files.size(img) == IMAGE_BYTES) {
            return img;
        }
        err.println("vireo bench: writing the disk image " + img + " (512 MiB, once)");
        Path tmp = Files.createTempFile(dir, "disk", ".tmp");
        byte[] chunk = new byte[1 << 20];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) (i * 31 + 7);
        }
        try (RandomAccessFile f = new RandomAccessFile(tmp.toFile(), "rw")) {
            for (long off = 0; off < IMAGE_BYTES; off += chunk.length) {
                f.write(chunk);
            }
            f.getFD().sync();
        }
        Files.move(tmp, img, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return img;
    }

    private static Map<String, Object> host() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("cpus", Runtime.getRuntime().availableProcessors());
        h.put("kernel", System.getProperty("os.version"));
        h.put("java", System.getProperty("java.version"));
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    h.put("cpu", l.substring(l.indexOf(':') + 1).strip());
                    break;
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return h;
    }

    private static void deleteTree(Path p) throws IOException {
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    /** The progress line on a terminal: job, round, VMM, elapsed, ETA (from the mean time per run so far). */
    static final class Progress {
        private final PrintStream err;
        private final boolean terminal;
        private long startNs;
        private int total;
        private int done = -1;

        Progress(PrintStream err, boolean terminal) {
            this.err = err;
            this.terminal = terminal;
        }

        void start(int runs) {
            total = runs;
            startNs = System.nanoTime();
        }

        void step(String job, int round, int rounds, String vmm) {
            done++;
            if (!terminal) {
                return;
            }
            long elapsed = (System.nanoTime() - startNs) / 1_000_000_000L;
            String eta = done == 0 ? "?" : clock(elapsed * (total - done) / done);
            String r = round == 0 ? "profile" : "round " + round + "/" + rounds;
            err.print(String.format(Locale.ROOT, "\r\033[K[%d/%d] %s, %s, %s  elapsed %s  ETA %s", done + 1, total,
                job, r, vmm, clock(elapsed), eta));
            err.flush();
        }

        void clear() {
            if (terminal) {
                err.print("\r\033[K");
            }
        }

        void done() {
            clear();
            if (terminal) {
                long s = (System.nanoTime() - startNs) / 1_000_000_000L;
                err.println("vireo bench: " + total + " runs in " + clock(s));
            }
        }

        private static String clock(long s) {
            return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
        }
    }
}
