package io.vireo.vmm.it;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Vireo's VMM as a vhost-user front end ({@code --disk vhost-user=SOCKET}): the test guest's disk served by
 * {@code qemu-storage-daemon}'s vhost-user-blk export and by Vireo's own {@code vireo vhost-user-blk} in a second
 * process. The 64 MiB sha256 read and the write/verify workload at QD 1 and 32; qemu-storage-daemon SIGKILLed during
 * I/O (the device needs reset, the VMM goes on, and after the daemon is back and the driver reset the device, a whole
 * read succeeds); and the one-line errors for a missing socket, a back end that hangs up, a bad --fs tag.
 */
class VhostUserFrontEndTestGuestTest {
    static final Path QSD = Path.of("/usr/bin/qemu-storage-daemon");

    @TempDir
    static Path dir;
    static Path disk;
    static String diskSha256;
    private final List<Process> started = new ArrayList<>();

    @BeforeAll
    static void randomDisk() throws Exception {
        assumeTrue(VireoProcess.kvmAccessible(), "skipped: /dev/kvm is missing or not read/write for this user");
        byte[] bytes = new byte[64 << 20];
        new Random(1010).nextBytes(bytes);
        disk = Files.write(dir.resolve("disk.img"), bytes);
        diskSha256 = VirtioBlkTestGuestTest.sha256(bytes);
    }

    @AfterEach
    void stopDaemons() throws InterruptedException {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(20, TimeUnit.SECONDS);
        }
        started.clear();
    }

    static List<String> qsdCommand(Path image, Path socket) {
        return List.of(QSD.toString(), "--blockdev", "driver=file,node-name=f0,filename=" + image + ",cache.direct=off",
            "--object", "iothread,id=io0", "--export", "type=vhost-user-blk,id=e0,node-name=f0,addr.type=unix,"
                + "addr.path=" + socket + ",writable=on,num-queues=1,iothread=io0");
    }

    private Process startDaemon(List<String> cmd, Path socket, Path log) throws Exception {
        Files.deleteIfExists(socket);
        Process p = new ProcessBuilder(cmd).directory(VireoProcess.root().toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        started.add(p);
        for (int i = 0; i < 600 && !Files.exists(socket); i++) {
            assertTrue(p.isAlive(), () -> "the back end died: " + read(log));
            Thread.sleep(50);
        }
        assertTrue(Files.exists(socket), () -> "no socket after 30 s: " + read(log));
        return p;
    }

    private Process startQsd(Path image, Path socket, Path log) throws Exception {
        assumeTrue(Files.isExecutable(QSD), "skipped: " + QSD + " is not installed (scripts/setup installs it)");
        return startDaemon(qsdCommand(image, socket), socket, log);
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    /** The sha256 read, write/verify at QD 1 (16 MiB) and QD 32 (64 MiB), through the back end on {@code socket}. */
    private static void readAndVerify(Path socket, Path log) {
        VireoProcess.Result r = VireoProcess.run("run", "--verbose", "--disk", "vhost-user=" + socket, "--cmdline",
            "blk=sha256");
        assertEquals(0, r.status(), () -> r.stdout() + r.stderr() + read(log));
        assertEquals(diskSha256, VirtioBlkTestGuestTest.field(r, "blk: sha256=([0-9a-f]{64}) bytes=67108864"));
        // Every kick went through the KVM ioeventfd straight to the back end.
        assertTrue(r.stderr().contains("notifies that exited to user space=0"), r.stderr());
        for (int qd : new int[] {1, 32}) {
            VireoProcess.Result v = VireoProcess.run("run", "--disk", "vhost-user=" + socket, "--cmdline",
                "blk=verify qd=" + qd + " seed=" + qd + (qd == 1 ? " span=32768" : "") + " irq=" + (qd == 1 ? 1 : 0));
            assertEquals(0, v.status(), () -> v.stdout() + v.stderr() + read(log));
            assertTrue(v.stdout().contains("\"mismatches\":0,"), v.stdout());
            assertTrue(v.stdout().contains("\"errors\":0,"), v.stdout());
        }
    }

    @Test
    void shouldReadAndVerifyTheDiskThroughQemuStorageDaemon() throws Exception {
        Path image = Files.copy(disk, dir.resolve("qsd.img"));
        Path socket = dir.resolve("qsd.sock");
        Path log = dir.resolve("qsd.log");
        startQsd(image, socket, log);
        readAndVerify(socket, log);
    }

    @Test
    void shouldReadAndVerifyTheDiskThroughVireosOwnDaemonInASecondProcess() throws Exception {
        Path image = Files.copy(disk, dir.resolve("vireo.img"));
        Path socket = dir.resolve("vireo.sock");
        Path log = dir.resolve("vireo-daemon.log");
        startDaemon(List.of(VireoProcess.root().resolve("vireo").toString(), "vhost-user-blk", "--socket",
            socket.toString(), "--disk", image + ",direct=off,queues=1"), socket, log);
        readAndVerify(socket, log);
    }

    @Test
    void shouldNeedResetWhenQemuStorageDaemonIsKilledAndReadAgainAfterItRestarts() throws Exception {
        Path image = Files.copy(disk, dir.resolve("kill.img"));
        Path socket = dir.resolve("kill.sock");
        Path log = dir.resolve("kill.log");
        Process qsd = startQsd(image, socket, log);
        Path out = dir.resolve("kill.out");
        Path err = dir.resolve("kill.err");
        ProcessBuilder pb = new ProcessBuilder(VireoProcess.root().resolve("vireo").toString(), "run", "--disk",
            "vhost-user=" + socket, "--cmdline", "blk=recover").directory(VireoProcess.root().toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("VIREO_AOT", "off");
        Process vmm = pb.start();
        started.add(vmm);
        // Killed in the middle of a pass: the guest reads the disk pass after pass until its I/O fails.
        waitFor(out, "blk: recover: pass 2 ok", vmm);
        qsd.destroyForcibly();
        qsd.waitFor(20, TimeUnit.SECONDS);
        waitFor(out, "blk: recover: I/O failed", vmm);
        // The VMM goes on: the guest keeps printing through the serial port while the back end is away.
        Thread.sleep(1500);
        assertTrue(vmm.isAlive(), () -> read(out) + read(err));
        startQsd(image, socket, log);
        assertTrue(vmm.waitFor(120, TimeUnit.SECONDS), () -> "still running: " + read(out) + read(err));
        String stdout = read(out);
        String stderr = read(err);
        assertEquals(0, vmm.exitValue(), () -> stdout + stderr);
        assertTrue(stdout.contains("error: blk: device needs reset"), stdout);
        assertTrue(stdout.matches("(?s).*blk: recover: ok after \\d+ resets.*"), stdout);
        List<String> sums = stdout.lines().filter(l -> l.startsWith("blk: sha256=")).toList();
        assertEquals("blk: sha256=" + diskSha256 + " bytes=67108864 dev=00:01.0", sums.getLast(), stdout);
        // One line for the loss, one per distinct reason a retry failed (nobody listens; the socket file gone while
        // the daemon starts again), one for the reconnection: no line per retry.
        assertEquals(1, stderr.lines().filter(l -> l.contains("went away (closed or killed); device needs reset"))
            .count(), stderr);
        assertTrue(stderr.lines().filter(l -> l.contains("cannot connect")).count() <= 2, stderr);
        assertTrue(stderr.contains("connected again to " + socket), stderr);
    }

    private static void waitFor(Path out, String marker, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (read(out).contains(marker)) {
                return;
            }
            assertTrue(p.isAlive(), () -> "exited before '" + marker + "': " + read(out));
            Thread.sleep(20);
        }
        throw new AssertionError("no '" + marker + "' in 120 s: " + read(out));
    }

    @Test
    void shouldStopWithOneLineForAMissingSocketAHangingUpBackEndAndABadTag() throws Exception {
        VireoProcess.Result missing = VireoProcess.run("run", "--disk", "vhost-user=" + dir.resolve("none.sock"),
            "--cmdline", "blk=sha256");
        assertEquals(2, missing.status(), missing.stderr());
        assertEquals(List.of("vireo: --disk vhost-user=" + dir.resolve("none.sock") + ": vhost-user "
            + dir.resolve("none.sock") + ": cannot connect (no such socket)"), missing.stderrLines());

        // A back end that accepts and hangs up at once: refused at its first reply.
        Path hangup = dir.resolve("hangup.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(hangup));
            Thread t = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (true) {
                        SocketChannel c = server.accept();
                        c.close();
                    }
                } catch (IOException e) {
                    // closed: the test is over
                }
            });
            VireoProcess.Result refused = VireoProcess.run("run", "--fs", "tag=share,socket=" + hangup, "--cmdline",
                "pci=1");
            assertEquals(2, refused.status(), refused.stderr());
            assertEquals(1, refused.stderrLines().size(), refused.stderr());
            // Gone before the request was sent (EPIPE) or before its reply (closed): a race, either is one line.
            assertTrue(refused.stderr().matches("vireo: --fs socket=" + hangup + ": vhost-user " + hangup
                + ": (back end gone while waiting for the reply to GET_FEATURES \\((closed|ECONNRESET)\\)"
                + "|sending GET_FEATURES failed: (EPIPE|ECONNRESET))\n"), refused.stderr());
            server.close();
            t.join(5000);
        }

        VireoProcess.Result empty = VireoProcess.run("run", "--fs", "tag=,socket=/tmp/x.sock");
        assertEquals(2, empty.status());
        assertEquals(List.of("vireo: --fs tag=,socket=/tmp/x.sock: the tag is empty (--fs tag=TAG,socket=SOCKET"
            + "[,queues=N][,queue-size=N])"), empty.stderrLines());
        String tag = "t".repeat(37);
        VireoProcess.Result tooLong = VireoProcess.run("run", "--fs", "tag=" + tag + ",socket=/tmp/x.sock");
        assertEquals(2, tooLong.status());
        assertEquals(List.of("vireo: --fs tag=" + tag + ": 37 bytes is too long (at most 36, virtio 1.2 §5.11.4)"),
            tooLong.stderrLines());
    }
}
