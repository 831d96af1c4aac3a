package io.vireo.vmm.machine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A running VM's directory, {@code ROOT/<id>/}, where other processes find its live counters ({@code counters}); the
 * id is the VMM's pid. ROOT is {@code --run-dir}, else {@code /run/vireo} as root, else
 * {@code $XDG_RUNTIME_DIR/vireo} (or {@code /tmp/vireo-<uid>} without it). Created mode 0700 at start, removed at
 * exit; other VMs' directories are never touched (a stale one of our own pid, left by a killed VMM that had the same
 * pid, is replaced).
 */
public final class RunDirectory implements AutoCloseable {
    public static final String COUNTERS = "counters";

    private final Path dir;

    private RunDirectory(Path dir) {
        this.dir = dir;
    }

    /** The default ROOT for this user. */
    public static Path defaultRoot() {
        String user = System.getProperty("user.name");
        if ("root".equals(user)) {
            return Path.of("/run/vireo");
        }
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isEmpty() && Files.isDirectory(Path.of(xdg))) {
            return Path.of(xdg, "vireo");
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "vireo-" + user);
    }

    /** Creates {@code root/<pid>/}; a leftover directory of the same pid (a dead VMM's) is replaced. */
    public static RunDirectory create(Path root) {
        Path dir = root.resolve(Long.toString(ProcessHandle.current().pid()));
        try {
            Files.createDirectories(root);
            if (Files.exists(dir)) {
                deleteTree(dir);
            }
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                "rwx------")));
        } catch (IOException e) {
            throw new IllegalStateException("run directory " + dir + ": " + e.getMessage(), e);
        }
        return new RunDirectory(dir);
    }

    public Path path() {
        return dir;
    }

    public Path counters() {
        return dir.resolve(COUNTERS);
    }

    /** Removes the directory and what is in it. */
    @Override
    public void close() {
        try {
            deleteTree(dir);
        } catch (IOException e) {
            System.err.println("vireo: cannot remove the run directory " + dir + ": " + e.getMessage());
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
