package io.vireo.vmm.cli;

import io.vireo.nativeaccel.VcpuKick;
import io.vireo.sys.Libc;
import io.vireo.sys.SysException;
import io.vireo.vmm.ExitStatus;
import io.vireo.vmm.VireoException;
import io.vireo.vmm.boot.BootException;
import io.vireo.vmm.log.Logging;

import picocli.CommandLine;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;

/**
 * {@code vireo}: the command line ({@link VireoCommand} lists the subcommands). Every failure the user can act
 * on is one line on stderr, {@code vireo: ...}; a bad flag or value exits 2; stack traces only with --verbose.
 */
public final class Main {
    /** Set (to anything) by the launcher: parse the command line, report what is wrong with it, run nothing. */
    static final String PARSE_ONLY = "VIREO_PARSE_ONLY";
    /** {@link #PARSE_ONLY}'s status for a request for help or the version: nothing to train for. */
    static final int PARSE_ONLY_HELP = 10;

    private Main() {
    }

    public static void main(String[] args) {
        linkInBackground();
        // picocli's DefaultFactory looks for groovy.lang.Closure once; the miss searches every jar (~7 ms of a start).
        System.setProperty("picocli.disable.closures", "true");
        List<String> list = Arrays.asList(args);
        // java.util.logging's set-up looks for a System.LoggerFinder with ServiceLoader, which opens every jar on the
        // class path (~25 ms of a cold start): on a thread of its own while picocli parses; commands run after it.
        Logging.installInBackground(verbose(list));
        checkAotCache(System.err);
        int status = run(list, System.out, System.err);
        Logging.flush();
        System.exit(status);
    }

    /**
     * Links the libc downcalls on a short-lived thread of their own while this one parses the command line: linking
     * is ~60 ms of code generation that the AOT cache does not keep, and on this thread it would come before the VM's
     * first instruction. Then the vCPU kick's library and calls ({@link VcpuKick#link}), which the first vCPU thread
     * would otherwise load and link just before the guest's first instruction (~18 ms of a 335 ms boot, measured with
     * -Xlog:class+init). A failure there is left for the call's first real use to report.
     */
    private static void linkInBackground() {
        Thread.ofPlatform().daemon().name("vireo-link").start(() -> {
            try {
                Libc.linkAll();
                VcpuKick.link();
            } catch (RuntimeException | LinkageError e) {
                // reported by the first real use of the call
            }
        });
    }

    /**
     * The launcher passes {@code -Dvireo.aot.cache=PATH} with {@code -XX:AOTCache=PATH} and silences the JVM's own
     * AOT log: a JVM that cannot map the cache (another build, incompatible options) runs without class sharing at
     * all ({@code java.vm.info} then lacks "sharing"), which is said here in one line.
     */
    static void checkAotCache(PrintStream err) {
        String cache = System.getProperty("vireo.aot.cache");
        String info = System.getProperty("java.vm.info", "");
        if (cache != null && !info.contains("sharing")) {
            err.println("vireo: the AOT cache " + cache + " does not match this JVM (" + System.getProperty(
                "java.vm.version") + "): ignored, start-up is slower; delete it to have it made again");
        }
    }

    private static boolean verbose(List<String> args) {
        return args.contains("--verbose") || args.contains("-v");
    }

    /** Runs the command line and returns the exit status. */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        boolean verbose = verbose(args);
        CommandLine cl = Cli.configure(VireoCommand.withSubcommands(new CommandLine(new VireoCommand(out, err)), args))
            .setOut(new PrintWriter(out, true))
            .setErr(new PrintWriter(err, true))
            .setParameterExceptionHandler((e, a) -> {
                err.println("vireo: " + CliErrors.message(e));
                return ExitStatus.USAGE;
            })
            .setExecutionExceptionHandler((e, c, parsed) -> failed(e, verbose, err))
            .setExecutionStrategy(parsed -> {
                // The launcher's check before it trains the AOT cache: a mistyped flag is reported at once, not after
                // a 20 s training run (./vireo).
                if (System.getenv(PARSE_ONLY) != null) {
                    return parsed.asCommandLineList().stream().anyMatch(c -> c.isUsageHelpRequested()
                        || c.isVersionHelpRequested()) ? PARSE_ONLY_HELP : 0;
                }
                Logging.awaitInstalled(); // nothing logs before the handler is there
                return new CommandLine.RunLast().execute(parsed);
            });
        return cl.execute(args.toArray(String[]::new));
    }

    private static int failed(Exception e, boolean verbose, PrintStream err) {
        switch (e) {
            case VireoException v -> {
                err.println("vireo: " + v.getMessage());
                return v.exitStatus();
            }
            case BootException b -> {
                err.println("vireo: " + b.getMessage());
                return ExitStatus.USAGE;
            }
            case SysException s -> {
                err.println("vireo: " + s.getMessage());
                if (verbose) {
                    s.printStackTrace(err);
                }
                return ExitStatus.INTERNAL_ERROR;
            }
            default -> {
                err.println("vireo: internal error: " + e);
                if (verbose) {
                    e.printStackTrace(err);
                }
                return ExitStatus.INTERNAL_ERROR;
            }
        }
    }
}
