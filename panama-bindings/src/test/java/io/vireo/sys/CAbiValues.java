package io.vireo.sys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Compiles {@code src/test/c/abi_values.c} with gcc against this machine's headers, runs it once and keeps its
 * output: {@code "<JavaClass>.<FIELD> <value>"} lines and {@code "@errno <n> <NAME>"} lines.
 */
final class CAbiValues {

    private static final Path MODULE_DIR = Path.of(System.getProperty("basedir", "."));
    private static final Path SOURCE = MODULE_DIR.resolve("src/test/c/abi_values.c");
    private static final Path BINARY = MODULE_DIR.resolve("target/abi-check/abi_values");

    private static CAbiValues instance;

    /** Java name ({@code "Kvm.KVM_RUN"}) to the C value, in the order the program printed them. */
    final Map<String, Long> values = new LinkedHashMap<>();
    /** Index = errno; glibc's name, or null where glibc has none. */
    final String[] errnoNames = new String[134];

    private CAbiValues(final List<String> lines) {
        for (final String line : lines) {
            final String[] parts = line.trim().split(" ");
            if (parts[0].equals("@errno")) {
                errnoNames[Integer.parseInt(parts[1])] = parts[2].equals("-") ? null : parts[2];
            } else if (parts.length == 2) {
                if (values.put(parts[0], Long.parseLong(parts[1])) != null) {
                    throw new IllegalStateException("abi_values.c prints " + parts[0] + " twice");
                }
            } else {
                throw new IllegalStateException("unexpected line from abi_values: '" + line + "'");
            }
        }
    }

    static synchronized CAbiValues get() throws IOException, InterruptedException {
        if (instance == null) {
            Files.createDirectories(BINARY.getParent());
            run(List.of("gcc", "-std=gnu11", "-Wall", "-Wextra", "-o", BINARY.toString(),
                SOURCE.toString()));
            instance = new CAbiValues(run(List.of(BINARY.toString())));
        }
        return instance;
    }

    private static List<String> run(final List<String> command) throws IOException, InterruptedException {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final List<String> lines = new ArrayList<>();
        try (var reader = process.inputReader(StandardCharsets.UTF_8)) {
            reader.lines().forEach(lines::add);
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("timed out: " + command);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("exit " + process.exitValue() + " from " + command + ":\n"
                + String.join("\n", lines));
        }
        return lines;
    }
}
