package io.vireo.vmm.cli;

import io.vireo.dataplane.agent.DataPlane;
import io.vireo.vmm.machine.MachineConfig;
import io.vireo.vmm.machine.VhostUserConfig;
import io.vireo.vmm.sandbox.Sandbox;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * picocli converters for Vireo's value grammars. A converter's message names the value, not the flag:
 * {@link CliErrors} puts the flag in front ({@code --memory 'lots' is not a size ...}). A converter that
 * names the flag itself (the {@code --disk} grammar) throws a {@link io.vireo.vmm.VireoException}, printed as is.
 */
final class Converters {
    private Converters() {
    }

    /** {@code 512M}, {@code 4G}, a bare number is MiB (as QEMU's {@code -m}). */
    static final class Bytes implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return checked(() -> Sizes.bytes(value));
        }
    }

    /** A whole number, range checked later where the range depends on other flags. */
    static final class WholeNumber implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return checked(() -> Sizes.wholeNumber(value));
        }
    }

    /** picocli's way to refuse a value: its message, prefixed by the flag (see {@link CliErrors}). */
    private static <T> T checked(Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    /** Seconds, decimals allowed, more than 0 and at most a year; converted to nanoseconds. */
    static final class SecondsToNanos implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            double s;
            try {
                s = Double.parseDouble(value.trim());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a number of seconds");
            }
            if (!(s > 0) || s > TimeUnit.DAYS.toSeconds(365)) {
                throw new TypeConversionException("must be more than 0 seconds and at most a year (got " + value + ")");
            }
            return (long) (s * 1e9);
        }
    }

    /** A comma-separated list of host CPU numbers: {@code 1} or {@code 0,1}. */
    /** A list of host CPUs as one option value (an array field would make picocli convert element by element). */
    record Cpus(int[] list) {
        static final Cpus NONE = new Cpus(new int[0]);
    }

    static final class CpuList implements ITypeConverter<Cpus> {
        @Override
        public Cpus convert(String value) {
            String[] parts = value.split(",", -1);
            int[] cpus = new int[parts.length];
            int limit = Math.max(Runtime.getRuntime().availableProcessors(), 1024);
            for (int i = 0; i < parts.length; i++) {
                String part = parts[i];
                cpus[i] = checked(() -> Sizes.wholeNumber(part));
                if (cpus[i] < 0 || cpus[i] >= limit) {
                    throw new TypeConversionException(parts[i] + " is not a CPU number");
                }
            }
            return new Cpus(cpus);
        }
    }

    /** {@code queue}, {@code device} or {@code shared}. */
    static final class IoThreads implements ITypeConverter<DataPlane.Threads> {
        @Override
        public DataPlane.Threads convert(String value) {
            try {
                return DataPlane.Threads.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("must be queue, device or shared (got '" + value + "')");
            }
        }
    }

    /** {@code --seccomp=off|log|on}. */
    static final class SeccompMode implements ITypeConverter<Sandbox.Mode> {
        @Override
        public Sandbox.Mode convert(String value) {
            return switch (value) {
                case "off" -> Sandbox.Mode.OFF;
                case "log" -> Sandbox.Mode.LOG;
                case "on" -> Sandbox.Mode.ON;
                default -> throw new TypeConversionException("must be off, log or on (got '" + value + "')");
            };
        }
    }

    /** The QEMU-style {@code PATH|null:SIZE[,key=value]...} of one {@code --disk}. */
    static final class Disk implements ITypeConverter<DiskSpec.Parsed> {
        @Override
        public DiskSpec.Parsed convert(String value) {
            return DiskSpec.parseAny(value);
        }
    }

    /** {@code --disk} of a command that serves the disk itself (no vhost-user=). */
    static final class LocalDisk implements ITypeConverter<io.vireo.vmm.machine.DiskConfig> {
        @Override
        public io.vireo.vmm.machine.DiskConfig convert(String value) {
            return DiskSpec.parse(value);
        }
    }

    /** {@code tap=NAME|loopback[,key=value]...} of {@code --net}. */
    static final class Net implements ITypeConverter<io.vireo.vmm.machine.NetConfig> {
        @Override
        public io.vireo.vmm.machine.NetConfig convert(String value) {
            return NetSpec.parse(value);
        }
    }

    /** {@code --fs tag=TAG,socket=SOCKET[,...]}. */
    static final class Fs implements ITypeConverter<VhostUserConfig> {
        @Override
        public VhostUserConfig convert(String value) {
            return VhostUserSpec.parseFs(value);
        }
    }

    /** {@code FILE[,records=N][,full=wrap|stop]} of {@code --trace}. */
    static final class Trace implements ITypeConverter<MachineConfig.Trace> {
        @Override
        public MachineConfig.Trace convert(String value) {
            return RunOptions.parseTrace(value);
        }
    }
}
