package io.vireo.vmm.cli;

import io.vireo.vmm.ExitStatus;
import io.vireo.vmm.VireoException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a command of the benchmark module ({@code io.vireo.bench.BenchCli}) in a JVM of its own: JMH, XChart and
 * async-profiler live on the bench module's classpath only, not on the VMM's. Same JDK, same {@code etc/jvm.options};
 * its output goes straight to ours; builds the project first if the module is not built yet.
 */
final class BenchModule {
    private BenchModule() {
    }

    static int run(String command, List<String> args) throws InterruptedException {
        Path root = Path.of(System.getProperty("vireo.root", ".")).toAbsolutePath().normalize();
        Path cpFile = root.resolve("bench/target/classpath.txt");
        Path classes = root.resolve("bench/target/classes");
        try {
            if (!Files.isRegularFile(cpFile) || !Files.isDirectory(classes)) {
                System.err.println("vireo: building (./mvnw -q install -DskipTests) ...");
                int rc = new ProcessBuilder(root.resolve("mvnw").toString(), "-q", "-B", "install", "-DskipTests")
                    .directory(root.toFile()).inheritIO().start().waitFor();
                if (rc != 0 || !Files.isRegularFile(cpFile)) {
                    throw new VireoException(ExitStatus.USAGE, "the benchmark module did not build (./mvnw install "
                        + "-DskipTests in " + root + ")");
                }
            }
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "@" + root.resolve("etc/jvm.options"), "-Dvireo.root=" + root, "-cp",
                classes + ":" + Files.readString(cpFile).strip(), "io.vireo.bench.BenchCli", command));
            cmd.addAll(args);
            return new ProcessBuilder(cmd).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new VireoException(ExitStatus.USAGE, "cannot start the benchmark JVM: " + e.getMessage());
        }
    }
}
