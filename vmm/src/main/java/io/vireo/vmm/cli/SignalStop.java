package io.vireo.vmm.cli;

import io.vireo.vmm.ExitStatus;
import io.vireo.vmm.machine.Machine;

import sun.misc.Signal;

/** SIGINT and SIGTERM stop the machine cleanly: vCPUs kicked and joined, memory unmapped, then exit. */
final class SignalStop {
    private SignalStop() {
    }

    static void install(Machine machine) {
        Signal.handle(new Signal("INT"), s -> machine.stop(ExitStatus.SIGINT, "stopped by SIGINT"));
        Signal.handle(new Signal("TERM"), s -> machine.stop(ExitStatus.SIGTERM, "stopped by SIGTERM"));
    }
}
