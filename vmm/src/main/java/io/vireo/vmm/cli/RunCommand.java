package io.vireo.vmm.cli;

import io.vireo.vmm.ExitStatus;
import io.vireo.vmm.VireoException;
import io.vireo.vmm.api.ApiServer;
import io.vireo.vmm.api.MachineTarget;
import io.vireo.vmm.machine.LiveStats;
import io.vireo.vmm.machine.Machine;
import io.vireo.vmm.machine.MachineBuilder;
import io.vireo.vmm.machine.MachineConfig;
import io.vireo.vmm.machine.StatsPoint;
import io.vireo.vmm.sandbox.Sandbox;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.Callable;

/** {@code vireo run}: boots a guest and returns its exit status. */
@Command(name = "run", addMethodSubcommands = false, sortOptions = false,
    description = "Boot a guest: the built-in test guest, a Linux kernel, or --guest linux.",
    footerHeading = "%nExit status:%n",
    footer = {
        "  0 guest power-off; odd N from the exit port 0xf4; N written to port 0xf8;",
        "  2 bad usage or input file; 3 KVM unavailable; 4 guest reset; 6 triple fault;",
        "  8 VMM/KVM error; 124 --timeout; 130/143 SIGINT/SIGTERM"})
final class RunCommand implements Callable<Integer> {
    @Mixin
    RunOptions options;

    @Mixin
    HelpOption help;

    @ParentCommand
    VireoCommand parent;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        options.checkCommandAfterDoubleDash(spec.commandLine().getParseResult().originalArgs());
        PrintStream err = parent.err();
        MachineConfig config = options.toConfig(TestGuestImage::path);
        if (options.apiSocket != null) {
            try {
                ApiServer.checkPath(options.apiSocket); // before the VM exists: a bad path stops nothing half-made
            } catch (IllegalArgumentException e) {
                throw new VireoException(ExitStatus.USAGE, "--api-socket " + e.getMessage());
            }
        }
        try (Machine machine = MachineBuilder.build(config); ApiServer api = startApi(machine)) {
            SignalStop.install(machine);
            // Set-up is done (KVM, guest RAM, disks, agents, signal handlers): from here on, the sandbox.
            Sandbox.install(options.seccomp());
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
                machine.quiesce(); // no counter moves after this: the report, the counters file and the trace agree
                reportStats(machine, err);
                machine.trace().ifPresent(t -> err.println("vireo: " + t.describe()));
            }
        }
    }

    /** --api-socket: the control API, before the sandbox (the socket is made during set-up). */
    private ApiServer startApi(Machine machine) {
        if (options.apiSocket == null) {
            return null;
        }
        try {
            return ApiServer.start(options.apiSocket, new MachineTarget(machine));
        } catch (IllegalArgumentException | IllegalStateException e) {
            int status = e instanceof IllegalArgumentException ? ExitStatus.USAGE : ExitStatus.INTERNAL_ERROR;
            // The guest runs already: stop its vCPUs and agents before the machine is closed under them.
            machine.stop(status, "--api-socket " + e.getMessage());
            try {
                machine.awaitExit();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            machine.quiesce();
            throw new VireoException(status, "--api-socket " + e.getMessage());
        }
    }

    /** --stats and --stats-json, whatever ended the run; a failed JSON write is one line, the status stays. */
    private void reportStats(Machine machine, PrintStream err) {
        if (!options.stats && options.statsJson == null) {
            return;
        }
        LiveStats live = machine.live();
        if (live != null) {
            live.sample();
        }
        StatsPoint total = machine.stats().capture();
        if (options.stats) {
            err.print(StatsReport.text(machine.stats(), total, live));
        }
        if (options.statsJson != null) {
            try {
                StatsJson.write(options.statsJson, StatsJson.json(machine.stats(), total, live));
            } catch (IOException | RuntimeException e) {
                err.println("vireo: --stats-json " + options.statsJson + ": cannot write (" + e + ")");
            }
        }
    }
}
