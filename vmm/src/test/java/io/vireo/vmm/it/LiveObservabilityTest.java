package io.vireo.vmm.it;

import io.vireo.dataplane.stats.CountersFile;

import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Live observability end to end on the test guest: the counters file read from this (second) process while the VM
 * runs, {@code vireo stat} on a pty, HdrHistogram service times against the guest's own latency, and the request
 * trace against the data plane's counters. Needs /dev/kvm (and {@code script} for the pty).
 */
class LiveObservabilityTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void needKvm() {
        assumeTrue(VireoProcess.kvmAccessible(), "skipped: /dev/kvm is missing or not read/write for this user");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> obj(Object o) {
        return (Map<String, Object>) o;
    }

    private static Map<String, Long> read(CountersReader r) {
        Map<String, Long> m = new LinkedHashMap<>();
        r.forEach((id, label) -> m.put(label, r.getCounterValue(id)));
        return m;
    }

    @Test
    void shouldShowMovingCountersToAnotherProcessAndMatchStatsAtExitAndRemoveTheDirectory() throws Exception {
        Path runRoot = Files.createDirectories(dir.resolve("run"));
        Path other = Files.createDirectories(runRoot.resolve("999999999")); // another VM's (dead) directory
        Files.writeString(other.resolve("counters"), "not ours");
        Path json = dir.resolve("stats.json");
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process vm = new ProcessBuilder(VireoProcess.root().resolve("vireo").toString(), "run", "--disk", "null:1G",
            "--cmdline", "blk=bench qd=1 secs=6 warmup=20000", "--stats-json", json.toString(), "--run-dir",
            runRoot.toString()).directory(VireoProcess.root().toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            // The launcher execs java: the VMM's pid is the child's, and names its directory.
            Path vmDir = runRoot.resolve(Long.toString(vm.pid()));
            Path counters = vmDir.resolve("counters");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            CountersFile file = null;
            while (file == null && System.nanoTime() < deadline && vm.isAlive()) {
                if (Files.exists(counters)) {
                    try {
                        file = CountersFile.openReadOnly(counters);
                    } catch (IllegalStateException notYet) {
                        Thread.sleep(50);
                    }
                } else {
                    Thread.sleep(50);
                }
            }
            assertTrue(file != null, "no counters file at " + counters + "; stderr: " + Files.readString(err));
            CountersReader reader = file.reader();
            // Wait for the guest's requests to start, then sample while it runs.
            while (read(reader).getOrDefault("disk0.q0.requests", 0L) == 0 && vm.isAlive()
                && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            List<Long> seen = new ArrayList<>();
            List<Long> exitsSeen = new ArrayList<>();
            String statOut = null;
            for (int i = 0; i < 6 && vm.isAlive(); i++) {
                Map<String, Long> now = read(reader);
                seen.add(now.get("disk0.q0.requests"));
                exitsSeen.add(now.getOrDefault("vcpu0.exits", 0L));
                if (i == 1) {
                    statOut = statOnPty(vm.pid(), runRoot);
                }
                Thread.sleep(300);
            }
            assertTrue(vm.waitFor(180, TimeUnit.SECONDS), "the VM did not finish");
            assertEquals(0, vm.exitValue(), Files.readString(err));
            assertTrue(seen.size() >= 3, "sampled while running: " + seen);
            for (int i = 1; i < seen.size(); i++) {
                assertTrue(seen.get(i) >= seen.get(i - 1), "monotonic: " + seen);
                assertTrue(exitsSeen.get(i) >= exitsSeen.get(i - 1), "monotonic: " + exitsSeen);
            }
            assertTrue(seen.get(seen.size() - 1) > seen.get(0), "the counters moved while the VM ran: " + seen);

            // The file is gone, its mapping here still holds the final values: they are --stats-json's.
            Map<String, Long> last = read(reader);
            Map<String, Object> stats = obj(MiniJson.parse(Files.readString(json)));
            Map<String, Object> disk0 = obj(obj(stats.get("dataplane")).get("disk0"));
            Map<String, Object> agents = obj(obj(stats.get("dataplane")).get("agents"));
            int compared = 0;
            for (Map.Entry<String, Long> e : last.entrySet()) {
                if (e.getKey().startsWith("disk0.q0.") && disk0.containsKey(e.getKey().substring(9))) {
                    assertEquals(disk0.get(e.getKey().substring(9)), e.getValue(), e.getKey());
                    compared++;
                } else if (e.getKey().startsWith("agent.disk0.") && agents.containsKey(e.getKey().substring(12))) {
                    assertEquals(agents.get(e.getKey().substring(12)), e.getValue(), e.getKey());
                    compared++;
                }
            }
            assertTrue(compared >= 20, "compared " + compared + " counters: " + last);
            assertTrue((Long) disk0.get("requests") > 20000, disk0.toString());

            assertFalse(Files.exists(vmDir), "the VM's run directory is removed at exit");
            assertEquals("not ours", Files.readString(other.resolve("counters")), "another VM's directory is kept");

            // vireo stat, one refresh on a pseudo-terminal.
            assertTrue(statOut != null, "vireo stat ran");
            assertTrue(statOut.contains("vireo stat: VM " + vm.pid()), statOut);
            Matcher q = Pattern.compile("disk0\\.q0\\s+(\\d+)\\s").matcher(statOut);
            assertTrue(q.find(), statOut);
            assertTrue(Long.parseLong(q.group(1)) > 0, "IOPS shown while the guest runs: " + statOut);
            assertTrue(statOut.contains("\033[H\033[2J"), "a terminal gets one refreshed screen");
            assertTrue(statOut.matches("(?s).*\\nvcpu0\\s+\\d+.*"), statOut);
            assertTrue(statOut.matches("(?s).*\\ndisk0\\s+[0-9.]+\\s+[0-9.]+.*"), "the agent's CPU line: " + statOut);

            // HdrHistogram service times against the guest's own round trip (which contains them).
            Map<String, Object> guest = DataPlaneTestGuestTest.result(new VireoProcess.Result(0,
                Files.readString(out), Files.readString(err)));
            Map<String, Object> svc = obj(obj(obj(stats.get("latency")).get("disk0.q0")).get("service"));
            assertEquals(disk0.get("requests"), svc.get("count"), "one service time per request: " + svc);
            long vmmP50 = (Long) svc.get("p50_ns");
            long guestP50 = DataPlaneTestGuestTest.num(guest, "lat_p50_ns");
            assertTrue(vmmP50 > 0 && vmmP50 <= guestP50, "VMM service p50 " + vmmP50 + " ns <= guest round trip p50 "
                + guestP50 + " ns");
            assertTrue((Long) svc.get("p50_ns") <= (Long) svc.get("p99_ns") && (Long) svc.get("p99_ns")
                <= (Long) svc.get("max_ns"), svc.toString());
            Map<String, Object> cpu = obj(stats.get("cpu"));
            assertTrue(((Number) cpu.get("agent_us_per_io")).doubleValue() > 0, cpu.toString());
        } finally {
            vm.destroyForcibly();
        }
    }

    /** {@code vireo stat PID} for one refresh under {@code script}, which gives it a pseudo-terminal. */
    private static String statOnPty(long pid, Path runRoot) throws IOException, InterruptedException {
        String cmd = VireoProcess.root().resolve("vireo") + " stat " + pid + " --run-dir " + runRoot
            + " --count 1 --interval 0.5";
        VireoProcess.Result r = VireoProcess.exec(List.of("script", "-qec", cmd, "/dev/null"), Map.of(), 60);
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        return r.stdout().replace("\r\n", "\n");
    }

    @Test
    void shouldCountInTheTraceExactlyTheRequestsTheDataPlaneCountedByOp() throws IOException {
        Path disk = dir.resolve("disk.img");
        try (var f = new java.io.RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(50_000L * 512);
        }
        Path trace = dir.resolve("run.trace");
        Path json = dir.resolve("stats.json");
        // verify at bs=512 over 50000 sectors: 50000 writes, then 50000 reads, from 2 queues.
        VireoProcess.Result r = VireoProcess.exec(List.of(VireoProcess.root().resolve("vireo").toString(), "run",
            "--cpus", "2", "--disk", disk + ",queues=2", "--cmdline", "blk=verify bs=512 qd=8 queues=2 span=50000",
            "--trace", trace.toString(), "--stats-json", json.toString()), Map.of(), 300);
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        assertTrue(r.stderr().contains("vireo: trace " + trace + ": "), r.stderr());
        Map<String, Object> disk0 = obj(obj(obj(MiniJson.parse(Files.readString(json))).get("dataplane"))
            .get("disk0"));
        long requests = (Long) disk0.get("requests");
        assertTrue(requests >= 100_000, disk0.toString());

        VireoProcess.Result summary = VireoProcess.run("trace", trace.toString());
        assertEquals(0, summary.status(), summary.stderr());
        String s = summary.stdout();
        assertTrue(s.contains(": " + requests + " requests recorded (all of them)"), s);
        Map<String, Long> ops = new LinkedHashMap<>();
        Matcher m = Pattern.compile("^ops:(.*)$", Pattern.MULTILINE).matcher(s);
        assertTrue(m.find(), s);
        for (String kv : m.group(1).trim().split(" ")) {
            ops.put(kv.substring(0, kv.indexOf('=')), Long.parseLong(kv.substring(kv.indexOf('=') + 1)));
        }
        assertEquals(disk0.get("reads"), ops.getOrDefault("read", 0L), s);
        assertEquals(disk0.get("writes"), ops.getOrDefault("write", 0L), s);
        assertEquals(disk0.get("get_ids"), ops.getOrDefault("get_id", 0L), s);
        assertEquals(disk0.get("flushes"), ops.getOrDefault("flush", 0L), s);
        assertEquals(requests, ops.values().stream().mapToLong(Long::longValue).sum(), s);
        assertEquals(50_000L, ops.get("write"), s);
        assertTrue(s.contains("status: ok=" + requests + " (errors: 0)"), s);
        assertTrue(s.matches("(?s).*queues: disk0\\.q0=\\d+ disk0\\.q1=\\d+.*"), "both queues traced: " + s);
        assertTrue(s.matches("(?s).*\\n  read +n=\\d+ mean=\\d+ p50=\\d+.*"), s);

        Path csv = dir.resolve("run.csv");
        VireoProcess.Result export = VireoProcess.run("trace", trace.toString(), "--csv", csv.toString());
        assertEquals(0, export.status(), export.stderr());
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        assertEquals("time_ns,disk,queue,op,sector,length,status,service_ns", lines.get(0));
        assertEquals(requests + 1, lines.size());
        assertEquals(50_000L, lines.stream().filter(l -> l.contains(",write,")).count());
        for (String l : List.of(lines.get(1), lines.get(lines.size() - 1))) {
            if (!l.matches("\\d+,0,[01],[a-z_]+,\\d+,\\d+,ok,\\d+")) {
                fail("CSV line: " + l);
            }
        }
    }
}
