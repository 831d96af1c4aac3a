package io.vireo.vmm.it;

import io.vireo.vmm.cli.TestGuestImage;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The same test guest binary under Debian's QEMU with KVM: it boots by multiboot there and must
 * report the same way (same lines, same exit status through isa-debug-exit).
 */
class QemuTestGuestTest {
    static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");

    @BeforeAll
    static void needQemuAndKvm() {
        assumeTrue(VireoProcess.kvmAccessible(), "skipped: /dev/kvm is missing or not read/write for this user");
        assumeTrue(Files.isExecutable(QEMU), "skipped: " + QEMU + " is not installed (apt-get install qemu-system-x86;"
            + " .ci/run installs it)");
    }

    static List<String> qemu(String memory, int cpus, String cmdline) {
        // -cpu host alone aborts on this PVM host ("failed to set MSR 0x10a"): drop arch-capabilities.
        return List.of(QEMU.toString(), "-enable-kvm", "-cpu", "host,-arch-capabilities", "-m", memory,
            "-smp", Integer.toString(cpus), "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", TestGuestImage.path().toString(),
            "-append", cmdline);
    }

    @Test
    void shouldBootSameBinaryUnderQemuAndExitThroughDebugPort() {
        VireoProcess.Result r = VireoProcess.exec(qemu("512M", 2, "exit=7"), Map.of(), 120);
        assertEquals(7, r.status(), () -> "stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        assertTrue(r.stdout().contains("vireo-test-guest: boot=multiboot"), r.stdout());
        // Multiboot loaders put the kernel path first on the command line; the guest skips it.
        assertTrue(r.stdout().matches("(?s).*cmdline: \\S*vireo-test-guest\\S*\\.elf exit=7\n.*"), r.stdout());
        assertTrue(r.stdout().contains("cpus: 2"), r.stdout());
        assertTrue(r.stdout().contains("loop: iterations="), r.stdout());
        assertTrue(r.stdout().contains("exit: 7"), r.stdout());
    }

    @Test
    void shouldPowerOffUnderQemuWithStatusZero() {
        VireoProcess.Result r = VireoProcess.exec(qemu("4G", 1, "exit=0"), Map.of(), 120);
        assertEquals(0, r.status(), () -> "stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        assertTrue(r.stdout().contains("exit: 0"), r.stdout());
        assertTrue(r.stdout().matches("(?s).*memmap: 0x0000000100000000 \\S+ ram.*"), r.stdout());
    }
}
