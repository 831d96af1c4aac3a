package io.vireo.bench;

import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.nio.file.Path;

/**
 * Runs the JMH benchmarks with the JVM flags of etc/jvm.options (the one place they live), so
 * forked benchmark JVMs see exactly what the launcher and the tests see. Takes JMH's own options.
 */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) throws RunnerException, CommandLineOptionException {
        Path options = Path.of(System.getProperty("vireo.root", ".")).resolve("etc/jvm.options").toAbsolutePath();
        CommandLineOptions cli = new CommandLineOptions(args);
        new Runner(new OptionsBuilder().parent(cli).jvmArgsPrepend("@" + options).build()).run();
    }
}
