package io.vireo.vmm.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.vireo.vmm.it.DataPlaneTestGuestTest.num;
import static io.vireo.vmm.it.DataPlaneTestGuestTest.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * DPDK's testpmd as a real vhost-user front end ({@code net_virtio_user}, no VM) against {@code vireo vhost-user-net
 * --loopback}: testpmd injects a burst and forwards whatever comes back (mac mode), Vireo sends every frame back;
 * after a few seconds every frame testpmd sent has come back but the ones still in flight, none dropped, and Vireo
 * counts the same frames with no drop, fault or refusal. The rate beside DPDK's own back end: scripts/compare-dpdk.
 */
class VhostUserNetDpdkTest {
    static final Path TESTPMD = Path.of("/usr/bin/dpdk-testpmd");
    /** Frames that may be in flight when testpmd stops: the burst it injected, in the rings. */
    private static final long IN_FLIGHT = 4096;

    @TempDir
    static Path dir;

    @BeforeAll
    static void needDpdkAndRoot() {
        assumeTrue(Files.isExecutable(TESTPMD), "skipped: " + TESTPMD + " is missing (apt-get install dpdk; "
            + "scripts/setup installs it)");
        assumeTrue("root".equals(System.getProperty("user.name")), "skipped: dpdk-testpmd needs root here "
            + "(/var/run/dpdk), user " + System.getProperty("user.name"));
    }

    @Test
    void shouldGetEveryFrameOfDpdkTestpmdBackThroughTheLoopback() throws Exception {
        Path sock = dir.resolve("net.sock");
        Path stats = dir.resolve("stats.json");
        Path daemonErr = dir.resolve("daemon.err");
        Path pmdOut = dir.resolve("testpmd.out");
        String prefix = "vireo-t-" + ProcessHandle.current().pid();
        Process daemon = startDaemon(sock, daemonErr, "--loopback", "--io-cpus", "1", "--stats-json",
            stats.toString());
        Process pmd = null;
        try {
            // Forwarding core 0, main lcore 1 (it sleeps); Vireo's agent is pinned to CPU 1.
            pmd = new ProcessBuilder(TESTPMD.toString(), "-l", "0,1", "--main-lcore", "1", "--no-pci", "--no-huge",
                "-m", "1024", "--file-prefix=" + prefix, "--vdev", "net_virtio_user0,path=" + sock + ",queues=1",
                "--", "--forward-mode=mac", "--tx-first", "--total-num-mbufs=32768", "--auto-start",
                "--stats-period=5").redirectErrorStream(true).redirectOutput(pmdOut.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            Thread.sleep(12_000);
            pmd.destroy();      // SIGTERM: testpmd stops forwarding and prints its totals
            assertTrue(pmd.waitFor(60, TimeUnit.SECONDS), "testpmd did not stop");
            String out = read(pmdOut);
            Matcher m = Pattern.compile("Accumulated forward statistics for all ports.*?RX-packets:\\s+(\\d+)\\s+"
                + "RX-dropped:\\s+(\\d+).*?TX-packets:\\s+(\\d+)\\s+TX-dropped:\\s+(\\d+)", Pattern.DOTALL)
                .matcher(out);
            assertTrue(m.find(), () -> "no totals from testpmd:\n" + out + "\ndaemon:\n" + read(daemonErr));
            long rx = Long.parseLong(m.group(1));
            long tx = Long.parseLong(m.group(3));
            System.out.println("dpdk-testpmd over vireo vhost-user-net --loopback: rx " + rx + " tx " + tx + " "
                + Pattern.compile("Rx-pps:\\s+(\\d+)").matcher(out).results().map(r -> r.group(1)).toList()
                + " Rx-pps");
            assertTrue(rx >= 100_000, () -> "testpmd got " + rx + " frames back:\n" + out);
            assertEquals(0, Long.parseLong(m.group(2)), "RX-dropped");
            assertEquals(0, Long.parseLong(m.group(4)), "TX-dropped");
            assertTrue(tx - rx >= 0 && tx - rx <= IN_FLIGHT, "sent " + tx + ", back " + rx + ": more than the rings "
                + "hold are missing");

            daemon.destroy();
            assertTrue(daemon.waitFor(60, TimeUnit.SECONDS), "the daemon did not stop on SIGTERM");
            assertEquals(0, daemon.exitValue(), () -> read(daemonErr));
            Map<String, Object> dataplane = obj(stats(stats), "dataplane");
            Map<String, Object> net = obj(dataplane, "net0");
            assertTrue(num(net, "tx_frames") >= tx - IN_FLIGHT && num(net, "tx_frames") <= tx, net::toString);
            assertTrue(num(net, "rx_frames") >= rx && num(net, "rx_frames") <= num(net, "tx_frames"), net::toString);
            for (String drop : List.of("tx_drops_malformed_chain", "tx_drops_bad_header", "tx_drops_too_big",
                "tx_drops_backend", "rx_malformed_chains", "rx_drops_filtered", "rx_drops_no_room", "rx_drops_backend",
                "needs_reset")) {
                assertEquals(0, num(net, drop), drop + ": " + net);
            }
            assertEquals(0, num(obj(dataplane, "vhost_user"), "refusals"), dataplane::toString);
        } finally {
            if (pmd != null) {
                pmd.destroyForcibly();
            }
            daemon.destroyForcibly();
            deleteTree(Path.of("/var/run/dpdk", prefix));
        }
    }

    /** {@code vireo vhost-user-net --socket sock args...}, once its socket is there; stderr to {@code err}. */
    static Process startDaemon(Path sock, Path err, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(VireoProcess.root().resolve("vireo").toString(),
            "vhost-user-net", "--socket", sock.toString()));
        cmd.addAll(List.of(args));
        Process daemon = new ProcessBuilder(cmd).directory(VireoProcess.root().toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        for (int i = 0; i < 600 && !Files.exists(sock); i++) {
            if (!daemon.isAlive()) {
                throw new AssertionError("the daemon died: " + read(err));
            }
            Thread.sleep(50);
        }
        if (!Files.exists(sock)) {
            daemon.destroyForcibly();
            throw new AssertionError("no socket after 30 s: " + read(err));
        }
        return daemon;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> stats(Path json) throws IOException {
        return (Map<String, Object>) MiniJson.parse(Files.readString(json));
    }

    static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
