package io.vireo.bench;

import io.vireo.bench.run.Bench;
import io.vireo.bench.run.BenchOptions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;

/**
 * {@code vireo bench} and {@code vireo jmh}: the launcher hands these two commands here (they need the benchmark
 * module's classpath: JMH, XChart, async-profiler). Bad input: one line, status 2.
 */
public final class BenchCli {
    private BenchCli() {
    }

    public static void main(String[] args) {
        System.exit(run(Arrays.asList(args)));
    }

    static int run(List<String> args) {
        if (args.isEmpty()) {
            System.err.println("usage: vireo bench [OPTIONS] | vireo jmh [REGEX] [JMH OPTIONS] [--profile[=E]]");
            return 2;
        }
        List<String> rest = args.subList(1, args.size());
        try {
            return switch (args.get(0)) {
                case "bench" -> bench(rest);
                case "jmh" -> BenchMain.run(rest);
                default -> {
                    System.err.println("vireo: unknown command '" + args.get(0) + "' (try: vireo bench, vireo jmh)");
                    yield 2;
                }
            };
        } catch (IllegalArgumentException e) {
            System.err.println("vireo " + args.get(0) + ": " + e.getMessage());
            return 2;
        } catch (IOException e) {
            System.err.println("vireo " + args.get(0) + ": " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    /** {@code vireo bench}: see {@link BenchOptions#USAGE}. */
    public static int bench(List<String> args) throws IOException, InterruptedException {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        BenchOptions o = BenchOptions.parse(args, stamp);
        if (o.help()) {
            System.out.print(BenchOptions.USAGE);
            return 0;
        }
        Path root = Path.of(System.getProperty("vireo.root", ".")).toAbsolutePath().normalize();
        boolean terminal = System.console() != null && System.console().isTerminal();
        return new Bench(o, root, System.out, System.err, terminal).run(args);
    }
}
