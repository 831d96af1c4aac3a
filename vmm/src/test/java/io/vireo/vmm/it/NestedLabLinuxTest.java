package io.vireo.vmm.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real Linux on Vireo, with Debian's own drivers and tools: each test runs {@code ./vireo run --guest linux}
 * inside the nested lab (linux/nested-lab.sh: an L1 Linux under QEMU TCG with emulated SVM, whose
 * /dev/kvm boots a stock kernel, which this machine's PVM /dev/kvm cannot). About 25 s each. Retries:
 * {@link NestedLab}.
 */
class NestedLabLinuxTest {
    @BeforeAll
    static void needLab() {
        NestedLab.needLab();
    }

    /**
     * One boot for the basics (each lab run costs a minute and some risk of TCG's own failures, so the basics share
     * one): Debian's own cloud kernel runs, both vCPUs come online from the MADT, the guest sees its 4 GiB, and the
     * command's exit status comes back as Vireo's.
     */
    @Test
    void shouldBootDebiansKernelOnTwoCpusWithFourGibibytesAndReturnTheCommandsStatus(TestReporter reporter) {
        VireoProcess.Result r = NestedLab.lab(reporter, "--cpus", "2", "--memory", "4G", "--", "sh", "-c",
            "uname -r; echo nproc=$(nproc); free -m; echo about to exit; exit 7");
        assertEquals(7, r.status(), () -> NestedLab.show(r));
        assertTrue(r.stdout().lines().anyMatch(l -> l.trim().matches("6\\.1\\.0-\\d+-cloud-amd64")),
            () -> "the kernel: " + NestedLab.show(r));
        assertTrue(r.stdout().lines().anyMatch(l -> l.trim().equals("nproc=2")),
            () -> "two CPUs: " + NestedLab.show(r));
        Matcher m = Pattern.compile("(?m)^Mem:\\s+(\\d+)").matcher(r.stdout());
        assertTrue(m.find(), () -> NestedLab.show(r));
        long totalMib = Long.parseLong(m.group(1));
        // The kernel keeps its own image and reserved ranges out of MemTotal: about 3.8-4.0 GiB of 4.
        assertTrue(totalMib > 3700 && totalMib <= 4096, "MemTotal " + totalMib + " MiB\n" + NestedLab.show(r));
        assertTrue(r.stdout().contains("about to exit"), () -> NestedLab.show(r));
    }

    @Test
    void shouldAnswerATypedCommandInTheInteractiveShell(TestReporter reporter) {
        Path driver = VireoProcess.root().resolve("vmm/src/test/resources/pty_shell.py");
        VireoProcess.Result r = NestedLab.inLab(reporter, List.of(driver.toString(), "./vireo", "run", "--guest",
            "linux", "--cmdline", "quiet"));
        assertEquals(0, r.status(), () -> NestedLab.show(r));
        assertTrue(r.stdout().contains("answer-42-from-Linux"), () -> NestedLab.show(r));
    }
}
