package io.vireo.vmm.it;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/** Runs {@code ./vireo} (the real launcher) as a child process and captures what it prints. */
public final class VireoProcess {
    public record Result(int status, String stdout, String stderr) {
        public List<String> stderrLines() {
            return stderr.lines().toList();
        }
    }

    private VireoProcess() {
    }

    public static Path root() {
        return Path.of(System.getProperty("vireo.root", "..")).toAbsolutePath().normalize();
    }

    public static Result run(String... args) {
        return run(Map.of(), args);
    }

    public static Result run(Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(root().resolve("vireo").toString());
        cmd.addAll(List.of(args));
        return exec(cmd, env, 120);
    }

    public static Result exec(List<String> cmd, Map<String, String> env, int timeoutSeconds) {
        try {
            Path out = Files.createTempFile("vireo-it", ".out");
            Path err = Files.createTempFile("vireo-it", ".err");
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd).directory(root().toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
                // The AOT cache is AotCacheTest's subject; elsewhere a first-use training run would only add time
                // and a line on stderr.
                pb.environment().put("VIREO_AOT", "off");
                pb.environment().putAll(env);
                Process p = pb.start();
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    fail("timed out after " + timeoutSeconds + " s: " + cmd + "\nstdout:\n" + Files.readString(out)
                        + "\nstderr:\n" + Files.readString(err));
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static boolean kvmAccessible() {
        Path kvm = Path.of("/dev/kvm");
        return Files.isReadable(kvm) && Files.isWritable(kvm);
    }
}
