package io.vireo.vmm.cli;

import io.vireo.vmm.ExitStatus;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * {@code vireo}: the top-level command and the one place subcommands are registered.
 *
 * <p>To add a subcommand ({@code vireo bench}, {@code vireo vhost-user-blk}, ...): write one class, annotated
 * {@code @Command(name = "bench", description = ...)}, implementing {@code Callable<Integer>} (the exit status),
 * with its flags as {@code @Option} fields (a value grammar as an {@code ITypeConverter} in {@link Converters})
 * and {@code @Mixin HelpOption help}; take the output streams from a {@code @ParentCommand VireoCommand}
 * field ({@link #out()}, {@link #err()}); then add the class to {@code subcommands} below. Help
 * ({@code vireo help bench}, {@code vireo bench --help}), the one-line errors for bad flags and values
 * (status 2) and the handling of {@link io.vireo.vmm.VireoException} come with it ({@link Main}).
 */
// addMethodSubcommands = false (here and on every subcommand): Vireo has no @Command methods, and looking for them
// reads every method's annotations (~7 ms of each start).
@Command(name = "vireo", addMethodSubcommands = false, mixinStandardHelpOptions = true,
    versionProvider = VireoCommand.Version.class,
    description = "A virtio data plane and virtio-PCI VMM for the JVM (KVM, x86-64, Linux).",
    footer = {"", "Run 'vireo help COMMAND' or 'vireo COMMAND --help' for a command's flags."})
public final class VireoCommand implements Callable<Integer> {
    /** The subcommands, in the order of the usage. */
    static final List<Class<?>> SUBCOMMANDS = List.of(
        CommandLine.HelpCommand.class,
        RunCommand.class,
        StatCommand.class,
        TraceCommand.class,
        BenchCommand.class,
        JmhCommand.class,
        VhostUserBlkCommand.class,
        VhostUserNetCommand.class,
        CtlCommand.class);

    private final PrintStream out;
    private final PrintStream err;

    @Spec
    CommandSpec spec;

    VireoCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /**
     * Registers the subcommands with {@code cl} (this command's): only the one {@code args} starts with when it names
     * one, else all. Picocli reads every registered command's annotations up front, and picocli's classes are too old
     * a class-file version for the AOT cache, so each command costs about 10 ms of a VM's start; {@code vireo run}
     * needs only its own. A command line that starts with anything else ({@code help}, a flag, a typo, nothing)
     * gets them all, for the usage and the suggestions.
     */
    static CommandLine withSubcommands(CommandLine cl, List<String> args) {
        String first = args.isEmpty() ? "" : args.get(0);
        for (Class<?> c : SUBCOMMANDS) {
            if (c != CommandLine.HelpCommand.class && c.getAnnotation(Command.class).name().equals(first)) {
                return cl.addSubcommand(c);
            }
        }
        for (Class<?> c : SUBCOMMANDS) {
            cl.addSubcommand(c);
        }
        return cl;
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    /** {@code vireo} alone: the usage, on stderr, status 2. */
    @Override
    public Integer call() {
        spec.commandLine().usage(err);
        return ExitStatus.USAGE;
    }

    /** {@code vireo --version}: the project version (from the build) and the JVM and OS it runs on. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            Properties p = new Properties();
            try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new String[] {
                "vireo " + p.getProperty("version", "unknown"),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + "), "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch"),
            };
        }
    }
}
