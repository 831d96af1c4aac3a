package io.vireo.bench.run;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code vireo bench} options, parsed; bad input throws {@link IllegalArgumentException} with a one-line message.
 *
 * @param profileEvent null, {@code cpu} or {@code alloc}
 */
public record BenchOptions(boolean quick, boolean vsQemu, List<Job> jobs, int rounds, int seconds, String profileEvent,
                           Path out, boolean help) {

    public static final String USAGE = """
        usage: vireo bench [--quick] [--vs-qemu] [--jobs LIST] [--rounds N] [--seconds S]
                           [--profile[=cpu|alloc]] [--out DIR]
          Runs the test guest's block workloads (untimed warm-up, then a timed phase) and prints a Markdown table:
          IOPS, mean/p50/p99/p99.9 latency, VM exits per I/O (KVM's counters), host CPU ns per I/O of the vCPU
          threads and of the threads serving the queue. Writes results.json, table.md, throughput and latency
          charts (SVG, PNG) into DIR.
          --quick          4 jobs, 1 round (under two minutes)
          --vs-qemu        each job on QEMU too (-enable-kvm, virtio-blk on an iothread), rounds alternating,
                           with the ratio Vireo/QEMU
          --jobs LIST      comma-separated job names or globs (randread-4k-*-null-*), or all, default, quick
          --rounds N       rounds per job and VMM; the table shows medians (default 2, --quick 1)
          --seconds S      length of each timed phase (default 1)
          --profile[=E]    one more run per job with async-profiler on Vireo's JVM over the timed phase:
                           flamegraphs/JOB.html (E: cpu, the default, or alloc)
          --out DIR        where the files go (default bench-results/DATE-TIME)
        """;

    public static BenchOptions parse(List<String> args, String stamp) {
        boolean quick = false;
        boolean vsQemu = false;
        String jobs = null;
        Integer rounds = null;
        int seconds = 1;
        String profile = null;
        Path out = null;
        boolean help = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String v = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                v = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--quick" -> quick = true;
                case "--vs-qemu" -> vsQemu = true;
                case "--help", "-h" -> help = true;
                case "--jobs" -> jobs = v != null ? v : value(args, ++i, a);
                case "--rounds" -> rounds = number(v != null ? v : value(args, ++i, a), a, 1, 100);
                case "--seconds" -> seconds = number(v != null ? v : value(args, ++i, a), a, 1, 600);
                case "--profile" -> {
                    profile = v == null ? "cpu" : v;
                    if (!profile.equals("cpu") && !profile.equals("alloc")) {
                        throw new IllegalArgumentException("--profile=" + profile + ": use cpu or alloc");
                    }
                }
                case "--out" -> out = Path.of(v != null ? v : value(args, ++i, a));
                default -> throw new IllegalArgumentException("unknown option '" + args.get(i)
                    + "' (see vireo bench --help)");
            }
        }
        List<Job> selected = jobs != null ? Job.select(jobs) : quick ? Job.quick() : Job.defaults();
        return new BenchOptions(quick, vsQemu, selected, rounds != null ? rounds : quick ? 1 : 2, seconds, profile,
            out != null ? out : Path.of("bench-results", stamp), help);
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args.get(i);
    }

    private static int number(String s, String option, int min, int max) {
        try {
            int n = Integer.parseInt(s);
            if (n < min || n > max) {
                throw new IllegalArgumentException(option + " " + s + ": use " + min + " to " + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " " + s + ": not a number");
        }
    }
}
