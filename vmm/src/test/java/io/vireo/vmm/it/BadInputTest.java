package io.vireo.vmm.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad user input: one line on stderr naming the problem, a non-zero status, no stack trace. */
class BadInputTest {
    private static void assertOneLineError(VireoProcess.Result r, int status, String... words) {
        assertEquals(status, r.status(), () -> "status; stderr:\n" + r.stderr());
        List<String> lines = r.stderrLines();
        assertEquals(1, lines.size(), () -> "exactly one line on stderr:\n" + r.stderr());
        String line = lines.get(0);
        assertTrue(line.startsWith("vireo: "), line);
        assertFalse(line.contains("Exception"), line);
        for (String w : words) {
            assertTrue(line.contains(w), () -> "'" + w + "' in: " + line);
        }
        assertEquals("", r.stdout());
    }

    @Test
    void shouldNameMissingKernelPath() {
        assertOneLineError(VireoProcess.run("run", "--kernel", "/nonexistent/vmlinux"), 2,
            "--kernel", "/nonexistent/vmlinux", "no such file");
    }

    @Test
    void shouldRefuseFileThatIsNotABootableKernel(@TempDir Path dir) throws IOException {
        Path junk = dir.resolve("notakernel.bin");
        Files.write(junk, "this is not a kernel, just text\n".repeat(100).getBytes());
        assertOneLineError(VireoProcess.run("run", "--kernel", junk.toString()), 2, junk.toString(), "not");
    }

    @Test
    void shouldRefuseZeroMemory() {
        assertOneLineError(VireoProcess.run("run", "--memory", "0"), 2, "--memory");
    }

    @Test
    void shouldRefuseZeroCpus() {
        assertOneLineError(VireoProcess.run("run", "--cpus", "0"), 2, "--cpus", "0");
    }

    @Test
    void shouldNameUnknownFlag() {
        assertOneLineError(VireoProcess.run("run", "--frobnicate"), 2, "unknown option --frobnicate");
    }

    @Test
    void shouldRefuseMemoryThatIsNotASize() {
        assertOneLineError(VireoProcess.run("run", "--memory", "lots"), 2, "--memory", "lots");
    }

    @Test
    void shouldSayWhenKvmDeviceIsMissing() {
        assertOneLineError(VireoProcess.run(Map.of("VIREO_KVM_DEVICE", "/nonexistent/kvm"), "run"), 3,
            "/nonexistent/kvm", "ENOENT (2)");
    }

    @Test
    void shouldSayWhenKvmDeviceIsNotKvm(@TempDir Path dir) throws IOException {
        Path notKvm = Files.writeString(dir.resolve("kvm"), "");
        assertOneLineError(VireoProcess.run(Map.of("VIREO_KVM_DEVICE", notKvm.toString()), "run"), 3,
            "KVM_GET_API_VERSION", "ENOTTY (25)");
    }
}
