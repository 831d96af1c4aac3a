package io.vireo.bench;

import io.vireo.bench.run.AsyncProfiler;

import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs the JMH benchmarks with the JVM flags of etc/jvm.options (the one place they live), so forked benchmark JVMs
 * see exactly what the launcher and the tests see. Takes JMH's own options, plus {@code --profile[=cpu|alloc]}:
 * async-profiler (from its Maven artifact) on each fork, a flame graph per benchmark under {@code jmh-profiles/}.
 */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) throws IOException {
        System.exit(run(Arrays.asList(args)));
    }

    /** Returns the exit status; bad JMH options are one line and status 2. */
    public static int run(List<String> args) throws IOException {
        List<String> jmh = new ArrayList<>();
        String event = null;
        for (String a : args) {
            if (a.equals("--profile") || a.startsWith("--profile=")) {
                event = a.equals("--profile") ? "cpu" : a.substring("--profile=".length());
                if (!event.equals("cpu") && !event.equals("alloc")) {
                    throw new IllegalArgumentException("--profile=" + event + ": use cpu or alloc");
                }
            } else {
                jmh.add(a);
            }
        }
        if (event != null) {
            jmh.add("-prof");
            jmh.add("async:libPath=" + AsyncProfiler.library() + ";output=flamegraph;event="
                + AsyncProfiler.engine(event) + ";dir=" + Path.of("jmh-profiles").toAbsolutePath());
        }
        Path options = Path.of(System.getProperty("vireo.root", ".")).resolve("etc/jvm.options").toAbsolutePath();
        try {
            CommandLineOptions cli = new CommandLineOptions(jmh.toArray(String[]::new));
            new Runner(new OptionsBuilder().parent(cli).jvmArgsPrepend("@" + options).build()).run();
            return 0;
        } catch (CommandLineOptionException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (RunnerException e) {
            System.err.println("vireo jmh: " + e.getMessage());
            return 1;
        }
    }
}
