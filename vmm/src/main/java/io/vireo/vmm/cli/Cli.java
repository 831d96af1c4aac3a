package io.vireo.vmm.cli;

import picocli.CommandLine;

/** The parser settings every Vireo command shares. */
final class Cli {
    static final int HELP_WIDTH = 100;

    private Cli() {
    }

    static CommandLine configure(CommandLine cl) {
        return cl.setOverwrittenOptionsAllowed(true) // --cpus 1 --cpus 2: the last one counts, as before
            .setAbbreviatedOptionsAllowed(false)
            .setAllowOptionsAsOptionParameters(true) // --cmdline --verbose: a value may look like a flag, as before
            .setUsageHelpWidth(HELP_WIDTH);
    }
}
