package io.vireo.vmm.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Debian's cloud kernel directly on this machine's /dev/kvm. On a PVM host its CPL0 code is emulated
 * and it stops at its int3 self-test, but first it prints, in its own words, what it found in
 * Vireo's boot structures: the e820 map, the command line, the ACPI tables and the CPU count.
 * {@code --unpack} skips the in-guest decompressor (about 90 s emulated here); the nested lab covers it.
 */
class LinuxDirectBootTest {
    static Path bzImage() {
        String cache = System.getenv("VIREO_CACHE");
        Path dir = cache != null ? Path.of(cache) : VireoProcess.root().resolve(".cache");
        return dir.resolve("linux-guest/bzImage");
    }

    @BeforeAll
    static void needKvmAndKernel() {
        assumeTrue(VireoProcess.kvmAccessible(), "skipped: /dev/kvm is missing or not read/write for this user");
        assumeTrue(Files.isReadable(bzImage()), "skipped: no Linux guest kernel at " + bzImage()
            + " (linux/build-guest-image.sh builds it; scripts/test runs that first)");
    }

    @Test
    void shouldShowVireosE820MapCommandLineAndCpusInTheKernelsOwnOutput() throws Exception {
        String cmdline = "console=ttyS0 earlyprintk=serial vireo.marker=direct-boot-check";
        Path out = Files.createTempFile("vireo-linux-direct", ".out");
        Path err = Files.createTempFile("vireo-linux-direct", ".err");
        try {
            Process p = new ProcessBuilder(VireoProcess.root().resolve("vireo").toString(), "run", "--kernel",
                bzImage().toString(), "--unpack", "--cpus", "2", "--memory", "4G", "--cmdline", cmdline,
                "--timeout", "300")
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
            // setup_arch prints the CPU count after the e820 map and the ACPI tables: enough seen.
            while (!Files.readString(out).contains("smpboot: Allowing") && p.isAlive()
                && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
            String console = Files.readString(out);
            String all = console + "\nstderr:\n" + Files.readString(err);
            assertTrue(console.contains("Linux version 6.1.0-"), all);
            assertTrue(console.contains("Command line: " + cmdline), all);
            for (String range : List.of(
                "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable",
                "BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved",
                "BIOS-e820: [mem 0x00000000000e0000-0x00000000000fffff] reserved",
                "BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable",
                "BIOS-e820: [mem 0x0000000100000000-0x000000013fffffff] usable")) {
                assertTrue(console.contains(range), "kernel saw " + range + ":\n" + all);
            }
            assertTrue(console.contains("ACPI: RSDP 0x00000000000E0000"), all);
            assertTrue(console.contains("ACPI: APIC 0x"), all);
            assertTrue(console.contains("smpboot: Allowing 2 CPUs, 0 hotplug CPUs"), all);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
