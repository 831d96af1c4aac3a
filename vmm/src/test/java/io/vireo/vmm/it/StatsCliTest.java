package io.vireo.vmm.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** --stats and --stats-json on the test guest through ./vireo. Needs /dev/kvm. */
class StatsCliTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void needKvm() {
        assumeTrue(VireoProcess.kvmAccessible(), "skipped: /dev/kvm is missing or not read/write for this user");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object o) {
        return (Map<String, Object>) o;
    }

    private static long vcpuExits(String stderr, int vcpu) {
        Matcher m = Pattern.compile("vireo: stats:   vcpu" + vcpu + ": exits=(\\d+) ").matcher(stderr);
        assertTrue(m.find(), stderr);
        return Long.parseLong(m.group(1));
    }

    @Test
    void shouldWriteJsonWithVcpuExitsAndVmStatsWhenTheGuestPowersOff() throws IOException {
        Path json = dir.resolve("stats.json");
        VireoProcess.Result r = VireoProcess.run("run", "--cpus", "2", "--stats-json", json.toString());
        assertEquals(0, r.status(), r.stderr());
        assertTrue(r.stdout().contains("exit: 0"), r.stdout());
        assertFalse(r.stderr().contains("vireo: stats:"), "--stats-json alone prints nothing: " + r.stderr());
        Map<String, Object> j = object(MiniJson.parse(Files.readString(json)));
        assertFalse(object(j.get("vm")).isEmpty(), "the VM section has KVM's VM stats: " + j.get("vm"));
        List<?> vcpus = (List<?>) j.get("vcpus");
        assertEquals(2, vcpus.size());
        Map<String, Object> vcpu0 = object(vcpus.get(0));
        assertTrue((Long) vcpu0.get("exits") > 0, "vCPU 0 exits: " + vcpu0);
        assertTrue(vcpu0.containsKey("insn_emulation") && vcpu0.containsKey("irq_injections"), vcpu0.toString());
        Map<String, Object> exits = object(j.get("userspace_exits"));
        assertTrue((Long) exits.get("io") > 0, exits.toString());
        long kvmExits = 0;
        for (Object v : vcpus) {
            kvmExits += (Long) object(v).get("exits");
        }
        assertTrue(kvmExits >= (Long) exits.get("total"), "each exit to user space is a KVM exit: " + j);
        assertTrue((Long) j.get("wall_ns") > 0);
        assertEquals(Map.of(), j.get("dataplane"), "the test guest has no disk");
        assertEquals(Map.of("begin", 0L, "end", 0L), j.get("marks"));
        assertTrue(j.containsKey("window"));
        assertNull(j.get("window"), "the test guest does not mark a window yet");
        try (var list = Files.list(dir)) {
            assertEquals(List.of(json), list.toList(), "no temporary file left behind");
        }
    }

    @Test
    void shouldPrintTheBlockAfterTheGuestsOutputWhenAskedWithStats() {
        VireoProcess.Result r = VireoProcess.run("run", "--stats", "--cmdline", "exit=7");
        assertEquals(7, r.status(), r.stderr());
        List<String> stats = r.stderrLines().stream().filter(l -> l.startsWith("vireo: stats:")).toList();
        assertFalse(stats.isEmpty(), r.stderr());
        assertTrue(vcpuExits(r.stderr(), 0) > 0, r.stderr());
        for (String name : List.of("exits", "mmio_exits", "io_exits", "irq_injections", "halt_exits",
            "insn_emulation", "signal_exits", "irq_exits")) {
            assertTrue(Pattern.compile("vcpu0: .*\\b" + name + "=\\d+").matcher(r.stderr()).find(), name);
        }
        assertTrue(Pattern.compile("vireo: stats:   vm: \\w+=\\d+").matcher(r.stderr()).find(), r.stderr());
        assertTrue(Pattern.compile("user-space exits: io=\\d+ .*total=\\d+").matcher(r.stderr()).find(), r.stderr());
        assertTrue(r.stderr().contains("vireo: stats: window: none"), r.stderr());
    }

    @Test
    void shouldReportStatsWhenTheTimeoutStopsTheGuest() throws IOException {
        Path json = dir.resolve("t.json");
        VireoProcess.Result r = VireoProcess.run("run", "--timeout", "0.5", "--stats", "--stats-json",
            json.toString(), "--cmdline", "loops=1000000000000000");
        assertEquals(124, r.status(), r.stderr());
        assertTrue(vcpuExits(r.stderr(), 0) > 0, r.stderr());
        Map<String, Object> j = object(MiniJson.parse(Files.readString(json)));
        assertTrue((Long) j.get("wall_ns") >= 400_000_000L, "ran about 0.5 s: " + j.get("wall_ns"));
    }

    @Test
    void shouldReportStatsWhenSigtermStopsTheGuest() throws Exception {
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process p = new ProcessBuilder(VireoProcess.root().resolve("vireo").toString(), "run", "--stats",
            "--cmdline", "loops=1000000000000000")
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(out).contains("cmdline:") && System.nanoTime() < deadline && p.isAlive()) {
            Thread.sleep(50);
        }
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "vireo exits after SIGTERM");
        String stderr = Files.readString(err);
        assertEquals(143, p.exitValue(), stderr);
        assertTrue(vcpuExits(stderr, 0) > 0, stderr);
        assertTrue(stderr.contains("vireo: stats: window: none"), stderr);
    }

    @Test
    void shouldReportEachDiskAndTheQueueAgentsAsDataPlaneSources() throws IOException {
        Path disk = dir.resolve("d.img");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(8L << 20);
        }
        Path json = dir.resolve("disk.json");
        VireoProcess.Result r = VireoProcess.run("run", "--disk", disk.toString(), "--cmdline", "blk=sha256 irq=1",
            "--stats", "--stats-json", json.toString());
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        Map<String, Object> dataplane = object(object(MiniJson.parse(Files.readString(json))).get("dataplane"));
        assertEquals(List.of("disk0", "agents"), List.copyOf(dataplane.keySet()));
        long requests = (Long) object(dataplane.get("disk0")).get("requests");
        assertTrue(requests > 0, dataplane.toString());
        assertTrue((Long) object(dataplane.get("agents")).get("polls_with_work") > 0, dataplane.toString());
        assertTrue(r.stderr().contains("vireo: stats:   dataplane disk0: requests=" + requests + " "), r.stderr());
    }
}
