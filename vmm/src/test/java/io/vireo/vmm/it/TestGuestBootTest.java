package io.vireo.vmm.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Boots the test guest on KVM through ./vireo and checks what it reports. Needs /dev/kvm. */
class TestGuestBootTest {
    @BeforeAll
    static void needKvm() {
        assumeTrue(VireoProcess.kvmAccessible(), "skipped: /dev/kvm is missing or not read/write for this user");
    }

    private static void assertReport(VireoProcess.Result r, int status) {
        assertEquals(status, r.status(), () -> "exit status; stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        assertTrue(r.stdout().contains("vireo-test-guest: boot=pvh"), r.stdout());
        assertTrue(r.stdout().contains("exit: " + status), r.stdout());
    }

    @Test
    void shouldBootTestGuestAndExitZeroByPowerOff() {
        VireoProcess.Result r = VireoProcess.run("run", "--verbose");
        assertReport(r, 0);
        assertTrue(r.stdout().contains("cpus: 1"), r.stdout());
        assertTrue(r.stderr().contains("guest powered off"), r.stderr());
        assertTrue(r.stderr().contains("boot: "), r.stderr());
        assertTrue(r.stderr().contains("POST code 0xc3"), "the guest announced CPL3: " + r.stderr());
        assertTrue(Pattern.compile("user-space exits:.* io=\\d+").matcher(r.stderr()).find(), r.stderr());
    }

    @Test
    void shouldExitWithStatusChosenOnGuestCommandLine() {
        VireoProcess.Result r = VireoProcess.run("run", "--cmdline", "exit=7");
        assertReport(r, 7);
        assertTrue(r.stdout().contains("cmdline: exit=7"), r.stdout());
    }

    @Test
    void shouldReportTwoCpusWhenAskedForTwo() {
        VireoProcess.Result r = VireoProcess.run("run", "--cpus", "2", "--cmdline", "exit=3");
        assertReport(r, 3);
        assertTrue(r.stdout().contains("cpus: 2"), r.stdout());
    }

    @Test
    void shouldReportRamAboveThePciHoleWithFourGigabytes() {
        VireoProcess.Result r = VireoProcess.run("run", "--memory", "4G");
        assertReport(r, 0);
        // 3 GiB below the hole at 0xC0000000, 1 GiB from 4 GiB up.
        assertTrue(r.stdout().contains("memmap: 0x0000000100000000 0x0000000140000000 ram"), r.stdout());
        Matcher m = Pattern.compile("ram: total=(\\d+) above4g=(\\d+)").matcher(r.stdout());
        assertTrue(m.find(), r.stdout());
        assertEquals(1L << 30, Long.parseLong(m.group(2)));
        long total = Long.parseLong(m.group(1));
        assertTrue(total > (4L << 30) - (2L << 20) && total <= 4L << 30, "total RAM about 4 GiB: " + total);
    }

    @Test
    void shouldExitWithResetStatusWhenGuestPulsesI8042Reset() {
        assertEquals(4, VireoProcess.run("run", "--cmdline", "reset=i8042").status());
    }

    @Test
    void shouldExitWithResetStatusWhenGuestWritesResetControlRegister() {
        assertEquals(4, VireoProcess.run("run", "--cmdline", "reset=cf9").status());
    }

    @Test
    void shouldExitWithTripleFaultStatusWhenGuestTripleFaults() {
        VireoProcess.Result r = VireoProcess.run("run", "--cmdline", "fault=triple");
        assertEquals(6, r.status(), r.stdout() + r.stderr());
        assertTrue(r.stderr().contains("triple fault"), r.stderr());
        // Where it was: the registers of the instruction that faulted (the guest zeroed its IDT's gates).
        String state = "vireo: warning: vcpu0 at the triple fault: rip=0x\\p{XDigit}+ rsp=0x\\p{XDigit}+ .*"
            + " cr3=0x\\p{XDigit}+ .* idt=0x\\p{XDigit}+/0x\\p{XDigit}+";
        assertTrue(r.stderr().lines().anyMatch(l -> l.matches(state)), r.stderr());
    }

    @Test
    void shouldReportGuestExceptionThroughExitPort() {
        VireoProcess.Result r = VireoProcess.run("run", "--cmdline", "fault=ud");
        assertEquals(255, r.status(), r.stdout() + r.stderr());
        assertTrue(r.stdout().contains("fault: vector=6"), r.stdout());
    }

    @Test
    void shouldFindTheHostBridgeThroughEcamFromTheMcfgTable() {
        VireoProcess.Result r = VireoProcess.run("run", "--cmdline", "pci=1");
        assertReport(r, 0);
        assertTrue(r.stdout().contains("pci: config=ecam base=0xe0000000 buses=0-0"), r.stdout());
        assertTrue(r.stdout().contains("pci: 00:00.0 8086:29c0 class 060000"), r.stdout());
        assertTrue(r.stdout().contains("memmap: 0x00000000e0000000 0x00000000e0100000 reserved"),
            "the ECAM window is reserved in the memory map: " + r.stdout());
    }

    @Test
    void shouldStopWithStatus124WhenTimeoutExpires() {
        VireoProcess.Result r = VireoProcess.run("run", "--timeout", "2", "--cmdline", "loops=1000000000000000");
        assertEquals(124, r.status(), r.stdout() + r.stderr());
        assertTrue(r.stderr().contains("timeout"), r.stderr());
    }

    @Test
    void shouldStopCleanlyOnSigterm() throws Exception {
        Path out = Files.createTempFile("vireo-sigterm", ".out");
        Path err = Files.createTempFile("vireo-sigterm", ".err");
        try {
            Process p = new ProcessBuilder(VireoProcess.root().resolve("vireo").toString(), "run", "--verbose",
                "--cmdline", "loops=1000000000000000")
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(out).contains("cmdline:") && System.nanoTime() < deadline && p.isAlive()) {
                Thread.sleep(50);
            }
            assertTrue(Files.readString(out).contains("cmdline:"), "guest started: " + Files.readString(out));
            p.destroy(); // SIGTERM, while the vCPU spins at CPL3 inside KVM_RUN
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "vireo exits after SIGTERM");
            assertEquals(143, p.exitValue(), Files.readString(err));
            assertTrue(Files.readString(err).contains("stopped by SIGTERM"), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
