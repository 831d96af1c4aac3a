package io.vireo.vmm.it;

import io.vireo.vmm.cli.LinuxGuestImage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A stock Linux guest (the project's Debian cloud kernel and initramfs) under QEMU TCG on {@code vireo
 * vhost-user-blk}: virtio_blk reads the whole disk ({@code sha256sum /dev/vda} equals the host file's), fio 4 KiB
 * random writes with crc32c verification at QD 1 and at QD 16 with one job per CPU (num-queues=2, 2 vCPUs), and the
 * daemon's counters show requests on both queues. One boot (TCG costs about half a minute).
 */
class VhostUserBlkLinuxTcgTest {

    @Test
    void shouldHashVerifyAndUseBothQueuesWhenLinuxRunsOnTheDaemonUnderTcg(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(QemuTestGuestTest.QEMU), "skipped: " + QemuTestGuestTest.QEMU
            + " is not installed (scripts/setup installs it)");
        assumeTrue(Files.isReadable(LinuxGuestImage.bzImage()) && Files.isReadable(LinuxGuestImage.initramfs()),
            "skipped: no Linux guest image in " + LinuxGuestImage.cacheDir() + " (linux/build-guest-image.sh)");
        Path disk = dir.resolve("linux.img");
        byte[] data = new byte[16 << 20];
        new Random(3).nextBytes(data);
        Files.write(disk, data);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        Path socket = dir.resolve("blk.sock");
        Path stats = dir.resolve("stats.json");
        Path daemonErr = dir.resolve("daemon.err");
        Process daemon = new ProcessBuilder(VireoProcess.root().resolve("vireo").toString(), "vhost-user-blk",
            "--socket", socket.toString(), "--disk", disk + ",queues=2,direct=off", "--stats-json", stats.toString())
            .directory(VireoProcess.root().toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(daemonErr.toFile()).start();
        try {
            for (int i = 0; i < 600 && !Files.exists(socket) && daemon.isAlive(); i++) {
                Thread.sleep(50);
            }
            assertTrue(Files.exists(socket), () -> "no socket: " + read(daemonErr));
            String fio = "fio --filename=/dev/vda --rw=randwrite --bs=4k --ioengine=libaio --direct=1 --size=4M "
                + "--verify=crc32c --verify_fatal=1 --minimal";
            String cmd = "sha256sum /dev/vda && " + fio + " --name=qd1 --iodepth=1 >/dev/null && echo fio-qd1-ok && "
                + fio + " --name=qd16 --iodepth=16 --numjobs=2 --cpus_allowed=0-1 --cpus_allowed_policy=split "
                + "--offset_increment=8M >/dev/null && echo fio-qd16-ok";
            String b64 = Base64.getEncoder().encodeToString(cmd.getBytes(StandardCharsets.UTF_8));
            List<String> qemu = new ArrayList<>(List.of(QemuTestGuestTest.QEMU.toString(), "-accel", "tcg", "-cpu",
                "max", "-smp", "2", "-m", "512M", "-object", "memory-backend-memfd,id=mem,size=512M,share=on",
                "-machine", "memory-backend=mem", "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-kernel", LinuxGuestImage.bzImage().toString(),
                "-initrd", LinuxGuestImage.initramfs().toString(), "-append",
                "console=ttyS0 reboot=k panic=-1 quiet vireo.cmd=" + b64, "-chardev", "socket,id=c0,path=" + socket,
                "-device", "vhost-user-blk-pci,chardev=c0,num-queues=2"));
            VireoProcess.Result r = VireoProcess.exec(qemu, Map.of(), 600);
            assertEquals(0, r.status(), () -> r.stdout() + r.stderr() + "\ndaemon:\n" + read(daemonErr));
            assertTrue(r.stdout().contains(sha + "  /dev/vda"), () -> "want " + sha + ":\n" + r.stdout());
            assertTrue(r.stdout().contains("fio-qd1-ok") && r.stdout().contains("fio-qd16-ok"), r.stdout());
            daemon.destroy();
            assertTrue(daemon.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, daemon.exitValue(), () -> read(daemonErr));
            @SuppressWarnings("unchecked")
            Map<String, Object> disk0 = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>)
                MiniJson.parse(Files.readString(stats))).get("dataplane")).get("disk0");
            for (String q : List.of("q0", "q1")) {
                long writes = ((Number) disk0.get(q + ".writes")).longValue();
                assertTrue(writes > 0, () -> q + " wrote nothing: " + disk0);
            }
        } finally {
            daemon.destroyForcibly();
            daemon.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return "(" + e + ")";
        }
    }
}
