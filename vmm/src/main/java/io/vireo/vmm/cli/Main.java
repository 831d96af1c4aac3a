package io.vireo.vmm.cli;

import io.vireo.sys.SysException;
import io.vireo.vmm.VireoException;
import io.vireo.vmm.boot.BootException;
import io.vireo.vmm.ExitStatus;
import io.vireo.vmm.machine.Machine;
import io.vireo.vmm.machine.MachineBuilder;
import io.vireo.vmm.machine.MachineConfig;
import io.vireo.vmm.machine.StatsPoint;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/** {@code vireo}: the command line. Every failure the user can act on is one line on stderr. */
public final class Main {
    private static final String USAGE = """
        usage: vireo run [OPTIONS] [-- COMMAND...]   boot a guest (see vireo run --help)
               vireo --help
        """;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(Arrays.asList(args), System.err));
    }

    /** Runs the command line and returns the exit status (tests call this directly). */
    public static int run(List<String> args, PrintStream err) {
        boolean verbose = args.contains("--verbose") || args.contains("-v");
        try {
            if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("-h")) {
                err.print(USAGE);
                return args.isEmpty() ? ExitStatus.USAGE : 0;
            }
            return switch (args.get(0)) {
                case "run" -> runMachine(args.subList(1, args.size()), err);
                default -> throw Sizes.usage("unknown command '" + args.get(0) + "' (try: vireo run)");
            };
        } catch (VireoException e) {
            err.println("vireo: " + e.getMessage());
            return e.exitStatus();
        } catch (BootException e) {
            err.println("vireo: " + e.getMessage());
            return ExitStatus.USAGE;
        } catch (SysException e) {
            err.println("vireo: " + e.getMessage());
            if (verbose) {
                e.printStackTrace(err);
            }
            return ExitStatus.INTERNAL_ERROR;
        } catch (RuntimeException | InterruptedException e) {
            err.println("vireo: internal error: " + e);
            if (verbose) {
                e.printStackTrace(err);
            }
            return ExitStatus.INTERNAL_ERROR;
        }
    }

    private static int runMachine(List<String> args, PrintStream err) throws InterruptedException {
        RunOptions options = RunOptions.parse(args);
        if (options.help) {
            err.print(RunOptions.USAGE);
            return 0;
        }
        MachineConfig config = options.toConfig(TestGuestImage::path);
        try (Machine machine = MachineBuilder.build(config)) {
            SignalStop.install(machine);
            try {
                int status = machine.awaitExit();
                if (config.verbose()) {
                    machine.printReport(err);
                } else if (status == ExitStatus.INTERNAL_ERROR || status == ExitStatus.TRIPLE_FAULT
                    || status == ExitStatus.TIMEOUT) {
                    err.println("vireo: " + machine.stopReason());
                }
                return status;
            } finally {
                reportStats(options, machine, err);
            }
        }
    }

    /** --stats and --stats-json, whatever ended the run; a failed JSON write is one line, the status stays. */
    private static void reportStats(RunOptions options, Machine machine, PrintStream err) {
        if (!options.stats && options.statsJson == null) {
            return;
        }
        StatsPoint total = machine.stats().capture();
        if (options.stats) {
            err.print(StatsReport.text(machine.stats(), total));
        }
        if (options.statsJson != null) {
            try {
                StatsJson.write(options.statsJson, StatsJson.json(machine.stats(), total));
            } catch (IOException | RuntimeException e) {
                err.println("vireo: --stats-json " + options.statsJson + ": cannot write (" + e + ")");
            }
        }
    }
}
