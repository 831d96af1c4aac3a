package io.vireo.vmm.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * QEMU 7.2 with KVM ({@code memory-backend-memfd,share=on}) runs the test guest against {@code vhost-user-blk-pci}
 * served by one {@code vireo vhost-user-blk} process for the whole class: each QEMU is a new front end on the same
 * socket. The 64 MiB sha256 read; write/verify at QD 1 and 32; QEMU SIGKILLed in the middle of a write load and
 * again after a completed flush, the flushed data on disk and read back by the next QEMU; 2 queues with 2 vCPUs, then
 * SIGTERM: exit 0, both queues in the daemon's counters.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VhostUserBlkQemuTest {
    private static final long DISK_BYTES = 64L << 20;
    private static Path dir;
    private static Path disk;
    private static Path socket;
    private static Path statsJson;
    private static Path daemonErr;
    private static Process daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue(VireoProcess.kvmAccessible(), "skipped: /dev/kvm is missing or not read/write for this user");
        assumeTrue(Files.isExecutable(QemuTestGuestTest.QEMU), "skipped: " + QemuTestGuestTest.QEMU
            + " is not installed (apt-get install qemu-system-x86; scripts/setup installs it)");
        dir = Files.createTempDirectory("vireo-vhu");
        disk = dir.resolve("disk.img");
        byte[] data = new byte[(int) DISK_BYTES];
        new Random(99).nextBytes(data);
        Files.write(disk, data);
        socket = dir.resolve("blk.sock");
        statsJson = dir.resolve("stats.json");
        daemonErr = dir.resolve("daemon.err");
        daemon = new ProcessBuilder(VireoProcess.root().resolve("vireo").toString(), "vhost-user-blk", "--socket",
            socket.toString(), "--disk", disk + ",queues=2,direct=off", "--stats-json", statsJson.toString())
            .directory(VireoProcess.root().toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(daemonErr.toFile()).start();
        for (int i = 0; i < 600 && !Files.exists(socket); i++) {
            assertTrue(daemon.isAlive(), () -> "the daemon died: " + read(daemonErr));
            Thread.sleep(50);
        }
        assertTrue(Files.exists(socket), () -> "no socket after 30 s: " + read(daemonErr));
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null && daemon.isAlive()) {
            daemon.destroyForcibly();
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    static List<String> qemu(int cpus, int queues, String cmdline) {
        List<String> cmd = new ArrayList<>(QemuTestGuestTest.qemu("512M", cpus, cmdline));
        cmd.addAll(List.of("-object", "memory-backend-memfd,id=mem,size=512M,share=on", "-machine",
            "memory-backend=mem", "-chardev", "socket,id=c0,path=" + socket, "-device",
            "vhost-user-blk-pci,chardev=c0,num-queues=" + queues));
        return cmd;
    }

    private static VireoProcess.Result guest(int cpus, int queues, String cmdline) {
        VireoProcess.Result r = VireoProcess.exec(qemu(cpus, queues, cmdline), Map.of(), 240);
        assertEquals(0, r.status(), () -> "stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr() + "\ndaemon:\n"
            + read(daemonErr));
        return r;
    }

    private static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    @Test
    @Order(1)
    void shouldHashTheWholeDiskLikeTheHostWhenQemuReadsItThroughTheDaemon() throws Exception {
        VireoProcess.Result r = guest(1, 1, "blk=sha256");
        assertTrue(r.stdout().contains("blk: sha256=" + sha256(disk) + " bytes=" + DISK_BYTES), r.stdout());
    }

    @Test
    @Order(2)
    void shouldWriteAndVerifyEveryBlockAtQueueDepthOneAndThirtyTwo() {
        for (int qd : new int[] {1, 32}) {
            // QD 1 over the first 16 MiB (each request waits for the last), QD 32 over the whole 64 MiB.
            VireoProcess.Result r = guest(1, 1, "blk=verify qd=" + qd + " seed=" + qd + (qd == 1 ? " span=32768" : ""));
            assertTrue(r.stdout().contains("\"mismatches\":0"), r.stdout());
            assertTrue(r.stdout().contains("exit: 0"), r.stdout());
        }
    }

    @Test
    @Order(3)
    void shouldServeTheNextQemuAndKeepFlushedDataWhenQemuIsKilledMidWriteAndAfterAFlush() throws Exception {
        // A write load, killed while it runs: no flush ever completes for it.
        String load = runUntil(qemu(1, 1, "blk=bench rw=randwrite qd=32 secs=60"), "blk: bench", 1500);
        assertNotNull(load, "the write load started");
        long seed = 77;
        int sectors = 8192;
        String flushed = runUntil(qemu(1, 1, "blk=durable bs=4096 qd=16 span=" + sectors + " seed=" + seed),
            "blk: flushed", 0);
        assertEquals("blk: flushed sectors=" + sectors + " seed=" + seed, flushed);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(disk)).order(ByteOrder.LITTLE_ENDIAN);
        for (long s = 0; s < sectors; s++) {
            for (int i = 0; i < 64; i++) {
                long want = DataPlaneTestGuestTest.splitmix64(seed + s * 64 + i);
                long got = b.getLong((int) (s * 512 + i * 8));
                if (want != got) {
                    throw new AssertionError("sector " + s + " word " + i + ": want " + Long.toHexString(want)
                        + ", file has " + Long.toHexString(got));
                }
            }
        }
        // The third front end on the same socket reads back exactly what the host file holds.
        VireoProcess.Result r = guest(1, 1, "blk=sha256");
        assertTrue(r.stdout().contains("blk: sha256=" + sha256(disk)), r.stdout());
    }

    /** Starts QEMU, waits for a line starting with {@code marker}, then {@code afterMs} later SIGKILLs it. */
    private static String runUntil(List<String> cmd, String marker, long afterMs) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String seen = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
            StandardCharsets.UTF_8))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            String line;
            while (System.nanoTime() < deadline && (line = out.readLine()) != null) {
                if (line.startsWith(marker)) {
                    seen = line;
                    Thread.sleep(afterMs);
                    p.destroyForcibly();
                    break;
                }
            }
        } finally {
            p.destroyForcibly();
            p.waitFor(20, TimeUnit.SECONDS);
        }
        assertEquals(137, p.exitValue(), "QEMU killed by SIGKILL");
        assertTrue(daemon.isAlive(), () -> "the daemon outlives a killed front end: " + read(daemonErr));
        return seen;
    }

    @Test
    @Order(4)
    void shouldServeTwoQueuesOnTwoVcpusAndExitZeroOnSigtermWithBothQueuesCounted() throws Exception {
        VireoProcess.Result r = guest(2, 2, "blk=verify qd=32 queues=2 seed=5");
        assertTrue(r.stdout().contains("\"mismatches\":0"), r.stdout());
        daemon.destroy();
        assertTrue(daemon.waitFor(60, TimeUnit.SECONDS), "the daemon stops on SIGTERM");
        assertEquals(0, daemon.exitValue(), () -> read(daemonErr));
        @SuppressWarnings("unchecked")
        Map<String, Object> stats = (Map<String, Object>) MiniJson.parse(Files.readString(statsJson));
        @SuppressWarnings("unchecked")
        Map<String, Object> disk0 = (Map<String, Object>) ((Map<String, Object>) stats.get("dataplane")).get("disk0");
        long q0 = ((Number) disk0.get("q0.requests")).longValue();
        long q1 = ((Number) disk0.get("q1.requests")).longValue();
        assertTrue(q0 > 0 && q1 > 0, "both queues served: " + disk0);
        @SuppressWarnings("unchecked")
        Map<String, Object> vhu = (Map<String, Object>) ((Map<String, Object>) stats.get("dataplane"))
            .get("vhost_user");
        assertEquals(0L, ((Number) vhu.get("refusals")).longValue(), () -> read(daemonErr));
        assertTrue(((Number) vhu.get("sessions")).longValue() >= 7, vhu::toString);
    }
}
