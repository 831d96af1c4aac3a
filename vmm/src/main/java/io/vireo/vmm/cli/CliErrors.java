package io.vireo.vmm.cli;

import io.vireo.vmm.VireoException;

import picocli.CommandLine;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

import java.util.List;

/**
 * Turns picocli's parse errors into Vireo's one-line form ({@code --cpus needs a value}, {@code unknown option
 * --frobnicate (see vireo run --help)}): one line naming the flag and the value, no usage dump.
 */
final class CliErrors {
    private CliErrors() {
    }

    static VireoException of(ParameterException e) {
        return Sizes.usage(message(e));
    }

    static String message(ParameterException e) {
        CommandLine where = e.getCommandLine();
        String command = where == null ? "vireo" : where.getCommandSpec().qualifiedName();
        if (e.getCause() instanceof VireoException v) {
            return v.getMessage(); // names the flag itself (the --disk grammar)
        }
        if (e.getCause() instanceof TypeConversionException t) {
            return flagOf(e.getArgSpec()) + " " + t.getMessage();
        }
        if (e instanceof MissingParameterException m && !m.getMissing().isEmpty()) {
            return flagOf(m.getMissing().get(0)) + " needs a value";
        }
        if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String arg = u.getUnmatched().get(0);
            if (arg.startsWith("-")) {
                return "unknown option " + arg + " (see " + command + " --help)";
            }
            if (where != null && !where.getSubcommands().isEmpty()) {
                return "unknown command '" + arg + "' (commands: "
                    + String.join(", ", where.getSubcommands().keySet()) + ")";
            }
            return "unexpected argument '" + arg + "' (see " + command + " --help)";
        }
        return oneLine(e.getMessage());
    }

    private static String flagOf(ArgSpec arg) {
        if (arg instanceof OptionSpec o) {
            return o.longestName();
        }
        return arg == null ? "argument" : arg.paramLabel();
    }

    /** picocli's own messages (rare ones not mapped above) can span lines; keep the first. */
    private static String oneLine(String message) {
        List<String> lines = message == null ? List.of() : message.lines().toList();
        return lines.isEmpty() ? "bad command line" : lines.get(0);
    }
}
