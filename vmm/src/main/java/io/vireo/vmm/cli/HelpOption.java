package io.vireo.vmm.cli;

import picocli.CommandLine.Option;

/** {@code -h, --help} for a subcommand ({@code vireo run --help}); the top level has {@code --version} too. */
final class HelpOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;
}
