package io.vireo.vmm.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code vireo jmh [REGEX] [JMH options] [--profile[=cpu|alloc]]}: the JMH suite (in the bench module). */
@Command(name = "jmh", addMethodSubcommands = false,
    description = "Run the JMH benchmarks with the flags of etc/jvm.options. Takes a benchmark REGEX and JMH's own "
        + "options (-prof gc, -p batch=32, -wi 3, ...), and --profile[=cpu|alloc] for async-profiler flame graphs "
        + "under jmh-profiles/. 'vireo jmh -h' is JMH's help.")
final class JmhCommand implements Callable<Integer> {
    /** Everything, in order: JMH parses it. */
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws InterruptedException {
        return BenchModule.run("jmh", args);
    }
}
