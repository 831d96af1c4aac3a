package io.vireo.vmm.it;

import io.vireo.vmm.cli.TestGuestImage;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.vireo.vmm.it.QemuVirtioNetTest.assertIntact;
import static io.vireo.vmm.it.VhostUserNetDpdkTest.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * QEMU 7.2 with KVM as the vhost-user front end of {@code vireo vhost-user-net --loopback} ({@code -netdev
 * vhost-user}, guest RAM from a shared memfd): the test guest's echo load goes through Vireo's device in another
 * process and comes back reflected, every reply checked byte for byte by the guest.
 */
class VhostUserNetQemuTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void needQemuAndKvm() {
        assumeTrue(VireoProcess.kvmAccessible(), "skipped: /dev/kvm is missing or not read/write for this user");
        assumeTrue(Files.isExecutable(QemuTestGuestTest.QEMU), "skipped: " + QemuTestGuestTest.QEMU
            + " is not installed (apt-get install qemu-system-x86; scripts/setup installs it)");
    }

    @Test
    void shouldCarryTheGuestsEchoesThroughVireoOverVhostUser() throws Exception {
        Path sock = dir.resolve("net.sock");
        Path err = dir.resolve("daemon.err");
        Process daemon = VhostUserNetDpdkTest.startDaemon(sock, err, "--loopback");
        try {
            VireoProcess.Result r = VireoProcess.exec(List.of(QemuTestGuestTest.QEMU.toString(), "-enable-kvm",
                "-cpu", "host,-arch-capabilities", "-m", "512M", "-smp", "1", "-object",
                "memory-backend-memfd,id=mem,size=512M,share=on", "-machine", "memory-backend=mem", "-nographic",
                "-no-reboot", "-nodefaults", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-chardev", "socket,id=c1,path=" + sock, "-netdev", "vhost-user,id=n0,chardev=c1",
                "-device", "virtio-net-pci,netdev=n0,romfile=", "-kernel", TestGuestImage.path().toString(),
                "-append", "net=rr peer=reflect qd=8 ios=100000 warmup=5000 seed=8"), Map.of(), 180);
            assertIntact(r, 100000);
            daemon.destroy();
            assertTrue(daemon.waitFor(60, TimeUnit.SECONDS), "the daemon did not stop on SIGTERM");
            assertEquals(0, daemon.exitValue(), () -> read(err));
            assertTrue(read(err).contains("front end gone"), () -> read(err));
        } finally {
            daemon.destroyForcibly();
        }
    }
}
