package io.vireo.vmm.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The launcher's AOT cache, end to end, on a copy of the launcher whose vmm jar the test may change: the first
 * {@code vireo run} makes the cache, the next one loads Vireo's classes from it (the JVM's own class-load log says
 * "shared objects file"), a changed jar makes a new cache in place of the old, and a JVM that cannot map the cache
 * runs without it after one line. No timings.
 */
class AotCacheTest {
    private static final String MAIN_FROM_CACHE = "io.vireo.vmm.cli.Main source: shared objects file";

    @TempDir
    Path tmp;

    @Test
    void shouldMakeUseAndRebuildTheCacheWhenTheCodeChanges() throws IOException {
        assumeTrue(VireoProcess.kvmAccessible(), "needs read/write /dev/kvm (the training run boots the test guest)");
        Path root = copyOfLauncher();
        Path aot = root.resolve("vmm/target/aot");

        VireoProcess.Result first = run(root, Map.of());
        assertEquals(0, first.status(), first.stderr());
        assertTrue(first.stderr().contains("vireo: making the AOT cache"), first.stderr());
        Path made = onlyCache(aot);

        Path log = tmp.resolve("classes1.log");
        VireoProcess.Result second = run(root, Map.of("VIREO_JAVA_OPTS", "-Xlog:class+load=info:file=" + log));
        assertEquals(0, second.status(), second.stderr());
        assertFalse(second.stderr().contains("making the AOT cache"), second.stderr());
        assertTrue(Files.readString(log).contains(MAIN_FROM_CACHE), "Main did not come from the AOT cache");
        assertEquals(made, onlyCache(aot));

        changeVmmJar(root);
        Path log3 = tmp.resolve("classes3.log");
        VireoProcess.Result third = run(root, Map.of("VIREO_JAVA_OPTS", "-Xlog:class+load=info:file=" + log3));
        assertEquals(0, third.status(), third.stderr());
        assertTrue(third.stderr().contains("vireo: making the AOT cache"), third.stderr());
        Path remade = onlyCache(aot);
        assertNotEquals(made.getFileName(), remade.getFileName());
        assertTrue(Files.readString(log3).contains(MAIN_FROM_CACHE), "Main did not come from the new AOT cache");

        // Object layout the cache was not made for: the JVM refuses it, Vireo says so once and runs.
        VireoProcess.Result refused = run(root, Map.of("VIREO_JAVA_OPTS", "-XX:-UseCompressedOops"));
        assertEquals(0, refused.status(), refused.stderr());
        List<String> notes = refused.stderrLines().stream().filter(l -> l.contains("AOT")).toList();
        assertEquals(1, notes.size(), refused.stderr());
        assertTrue(notes.get(0).startsWith("vireo: the AOT cache " + remade) && notes.get(0).contains(
            "does not match this JVM"), notes.get(0));
    }

    /** A mistyped flag on the first run of a build is reported at once, not after the training run. */
    @Test
    void shouldReportABadFlagWithoutTrainingFirst() throws IOException {
        assumeTrue(VireoProcess.kvmAccessible(), "needs read/write /dev/kvm (the launcher trains only where it can)");
        Path root = copyOfLauncher();
        VireoProcess.Result bad = VireoProcess.exec(List.of(root.resolve("vireo").toString(), "run", "--bogus"),
            Map.of("VIREO_AOT", "on"), 120);
        assertEquals(2, bad.status(), bad.stderr());
        assertEquals(List.of("vireo: unknown option --bogus (see vireo run --help)"), bad.stderrLines());
        Path aot = root.resolve("vmm/target/aot");
        if (Files.exists(aot)) {
            try (Stream<Path> left = Files.list(aot)) {
                assertEquals(List.of(), left.toList(), "the launcher trained for a bad command line");
            }
        }
        VireoProcess.Result help = VireoProcess.exec(List.of(root.resolve("vireo").toString(), "run", "--help"),
            Map.of("VIREO_AOT", "on"), 120);
        assertEquals(0, help.status(), help.stderr());
        assertTrue(help.stdout().startsWith("Usage: vireo run"), help.stdout());
        assertFalse(help.stderr().contains("making the AOT cache"), help.stderr());
    }

    private VireoProcess.Result run(Path root, Map<String, String> env) {
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("VIREO_AOT", "on");
        return VireoProcess.exec(List.of(root.resolve("vireo").toString(), "run", "--cmdline", "loops=1"), all, 600);
    }

    /** The launcher, its scripts and options, and its own copy of the vmm jar (the other jars stay where they are). */
    private Path copyOfLauncher() throws IOException {
        Path src = VireoProcess.root();
        Path root = tmp.resolve("root");
        for (String f : List.of("vireo", "scripts/java-home.sh", "etc/jvm.options", "etc/vmm.options",
            "etc/jit-directives.json",
            "vmm/target/classpath.txt")) {
            Files.createDirectories(root.resolve(f).getParent());
            Files.copy(src.resolve(f), root.resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
        }
        try (Stream<Path> jars = Files.list(src.resolve("vmm/target"))) {
            for (Path jar : jars.filter(p -> p.getFileName().toString().matches("vireo-vmm-.*\\.jar")
                && !p.getFileName().toString().matches(".*-(tests|sources)\\.jar")).toList()) {
                Files.copy(jar, root.resolve("vmm/target").resolve(jar.getFileName()));
            }
        }
        return root;
    }

    /** A code change, as the launcher sees one: the vmm jar's content (so its size and mtime) differ. */
    private static void changeVmmJar(Path root) throws IOException {
        Path jar;
        try (Stream<Path> jars = Files.list(root.resolve("vmm/target"))) {
            jar = jars.filter(p -> p.getFileName().toString().endsWith(".jar")).findFirst().orElseThrow();
        }
        try (FileSystem zip = FileSystems.newFileSystem(jar)) {
            Files.writeString(zip.getPath("META-INF/aot-cache-test.txt"), "a change " + System.nanoTime());
        }
    }

    private static Path onlyCache(Path aot) throws IOException {
        try (Stream<Path> files = Files.list(aot)) {
            List<Path> caches = files.filter(p -> p.getFileName().toString().endsWith(".aot")).toList();
            assertEquals(1, caches.size(), "AOT caches: " + caches);
            return caches.get(0);
        }
    }
}
