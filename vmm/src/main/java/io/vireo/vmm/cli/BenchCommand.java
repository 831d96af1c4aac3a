package io.vireo.vmm.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.IParameterConsumer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Stack;
import java.util.concurrent.Callable;

/** {@code vireo bench}: the side-by-side block benchmark (runs in the bench module, {@link BenchModule}). */
@Command(name = "bench", addMethodSubcommands = false, sortOptions = false,
    description = "Run the test guest's block jobs (untimed warm-up, timed phase) on Vireo and, with --vs-qemu, "
        + "on QEMU, rounds alternating; print a Markdown table (IOPS, mean/p50/p99/p99.9 latency, VM exits per I/O, "
        + "host CPU ns per I/O of vCPU and agent threads) and write results.json, table.md and charts (SVG, PNG).")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "4 jobs, 1 round: under two minutes")
    boolean quick;

    @Option(names = "--vs-qemu", description = "each job on QEMU too (-enable-kvm, virtio-blk on an iothread), "
        + "with the ratio Vireo/QEMU")
    boolean vsQemu;

    @Option(names = "--jobs", paramLabel = "LIST",
        description = "job names or globs, comma-separated (randread-4k-*-null-*), or all, default, quick")
    String jobs;

    @Option(names = "--rounds", paramLabel = "N", description = "rounds per job and VMM (default 2, --quick 1)")
    Integer rounds;

    @Option(names = "--seconds", paramLabel = "S", description = "length of each timed phase (default 1)")
    Integer seconds;

    @Option(names = "--profile", arity = "0..1", paramLabel = "cpu|alloc", parameterConsumer = ProfileEvent.class,
        description = "one more run per job with async-profiler on Vireo's JVM over the timed phase: "
            + "flamegraphs/JOB.html")
    String profile;

    @Option(names = "--out", paramLabel = "DIR", description = "where the files go (default bench-results/DATE-TIME)")
    Path out;

    @Mixin
    HelpOption help;

    /**
     * {@code --profile} takes a value only when the next word is not a flag ({@code --profile=alloc}): the shared
     * parser lets values look like flags ({@link Cli}), which would make {@code --profile --out DIR} read
     * {@code --out} as the event.
     */
    static final class ProfileEvent implements IParameterConsumer {
        @Override
        public void consumeParameters(Stack<String> args, ArgSpec argSpec, CommandSpec commandSpec) {
            // bench takes no positional argument: a next word that is not a flag is the event (checked later).
            boolean event = !args.isEmpty() && !args.peek().startsWith("-");
            argSpec.setValue(event ? args.pop() : "cpu");
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        List<String> args = new ArrayList<>();
        if (quick) {
            args.add("--quick");
        }
        if (vsQemu) {
            args.add("--vs-qemu");
        }
        if (jobs != null) {
            args.addAll(List.of("--jobs", jobs));
        }
        if (rounds != null) {
            args.addAll(List.of("--rounds", rounds.toString()));
        }
        if (seconds != null) {
            args.addAll(List.of("--seconds", seconds.toString()));
        }
        if (profile != null) {
            args.add("--profile=" + profile);
        }
        if (out != null) {
            args.addAll(List.of("--out", out.toString()));
        }
        return BenchModule.run("bench", args);
    }
}
