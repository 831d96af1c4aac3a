package io.vireo.vmm.it;

import io.vireo.vmm.api.ApiClient;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The control API end to end on the test guest ({@code vireo run --api-socket}, seccomp on as by default): live
 * counters, pause and resume across a verifying workload, and hostile clients. Needs /dev/kvm.
 */
class ApiSocketTest {
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

    private static Map<String, Object> json(ApiClient.Reply r) {
        return obj(MiniJson.parse(r.body()));
    }

    private Process start(Path socket, String... args) throws IOException {
        // The API's threads run under the VMM's seccomp filter like every other thread.
        List<String> cmd = new ArrayList<>(List.of(VireoProcess.root().resolve("vireo").toString(), "run",
            "--seccomp=on", "--api-socket", socket.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(VireoProcess.root().toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
        pb.environment().put("VIREO_AOT", "off");
        return pb.start();
    }

    private void awaitSocket(Process vm, Path socket) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            if (!vm.isAlive() || System.nanoTime() > deadline) {
                fail("no API socket at " + socket + "; stderr: " + Files.readString(dir.resolve("err")));
            }
            Thread.sleep(50);
        }
    }

    private static long requests(ApiClient api, String device) throws Exception {
        ApiClient.Reply r = api.get("vm.counters");
        assertEquals(200, r.status(), r.body());
        return (Long) obj(obj(json(r).get("devices")).get(device)).get("requests");
    }

    /** Polls until {@code device}'s requests exceed {@code than}; returns them. */
    private static long awaitRequestsAbove(ApiClient api, String device, long than, Process vm) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        long n;
        while ((n = requests(api, device)) <= than) {
            assertTrue(vm.isAlive() && System.nanoTime() < deadline, "requests stayed at " + n);
            Thread.sleep(20);
        }
        return n;
    }

    private static long userspaceExits(ApiClient api) throws Exception {
        return (Long) obj(json(api.get("vm.counters")).get("userspace_exits")).get("total");
    }

    private String output() throws IOException {
        return Files.readString(dir.resolve("out")) + Files.readString(dir.resolve("err"));
    }

    @Test
    void shouldShowLiveCountersAndPauseAndResumeAVerifyingWorkloadWithNoRequestLost() throws Exception {
        Path disk = dir.resolve("disk.img");
        try (var f = java.nio.channels.FileChannel.open(disk, java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE)) {
            f.truncate(0).position(64L << 20).write(java.nio.ByteBuffer.wrap(new byte[1]));
        }
        Path socket = dir.resolve("api.sock");
        // verify: 16384 random 4 KiB writes, then every block read back and checked (mismatches and errors counted).
        Process vm = start(socket, "--disk", disk.toString(), "--cmdline", "blk=verify qd=4", "--timeout", "170");
        try (ApiClient api = ApiClient.of(socket)) {
            awaitSocket(vm, socket);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket,
                LinkOption.NOFOLLOW_LINKS)), "the socket is owner-only");

            Map<String, Object> ping = json(api.get("vmm.ping"));
            assertEquals(vm.pid(), ping.get("pid"), "the launcher execs the VMM: its pid answers");
            Map<String, Object> info = json(api.get("vm.info"));
            assertEquals("running", info.get("state"));
            Map<String, Object> disk0 = obj(((List<?>) info.get("devices")).get(0));
            assertEquals("disk0", disk0.get("id"));
            assertEquals("0000:00:01.0", disk0.get("bdf"));
            assertEquals(disk.toString(), obj(disk0.get("options")).get("path"));

            // Counters move while the workload runs.
            long first = awaitRequestsAbove(api, "disk0", 0, vm);
            long second = awaitRequestsAbove(api, "disk0", first, vm);
            assertTrue(second > first);

            assertEquals(204, api.put("vm.pause", null).status());
            assertEquals("paused", json(api.get("vm.info")).get("state"));
            long pausedAt = requests(api, "disk0");
            long exitsAt = userspaceExits(api);
            assertTrue(pausedAt < 2 * 16384, "paused mid-workload: " + pausedAt + " of 32768 requests");
            Thread.sleep(700);
            assertEquals(pausedAt, requests(api, "disk0"), "no request is served while paused");
            assertEquals(exitsAt, userspaceExits(api), "no vCPU runs while paused");
            ApiClient.Reply again = api.put("vm.pause", null);
            assertEquals(409, again.status(), again.body());
            assertTrue(vm.isAlive(), "paused, not stopped");

            assertEquals(204, api.put("vm.resume", null).status());
            assertEquals("running", json(api.get("vm.info")).get("state"));
            awaitRequestsAbove(api, "disk0", pausedAt, vm);
            assertEquals(409, api.put("vm.resume", null).status(), "not paused any more");

            assertTrue(vm.waitFor(170, TimeUnit.SECONDS), "the VM did not finish");
            String out = output();
            assertEquals(0, vm.exitValue(), out);
            assertTrue(out.contains("\"written\":16384,\"verified\":16384,\"mismatches\":0"), out);
            assertTrue(out.contains("\"errors\":0"), out);
            assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "the socket is removed at exit");
        } finally {
            vm.destroyForcibly();
        }
    }

    @Test
    void shouldAnswerBadRequestsAndHotAddsWithTheirStatusAndKeepTheVmRunning() throws Exception {
        Path socket = dir.resolve("api.sock");
        Process vm = start(socket, "--disk", "null:1G", "--cmdline", "blk=bench qd=1 secs=150", "--timeout", "170");
        try (ApiClient api = ApiClient.of(socket)) {
            awaitSocket(vm, socket);
            long before = awaitRequestsAbove(api, "disk0", 0, vm);

            expect(400, api.put("vm.add-disk", "{\"path\": \"/tmp/x.img\","));
            expect(400, api.put("vm.add-disk", "{\"path\": 7}"));
            expect(400, api.put("vm.add-disk", "{\"path\": \"/tmp/x\", \"colour\": \"red\"}"));
            expect(404, api.get("vm.frobnicate"));
            expect(405, api.get("vm.pause"));
            expect(405, api.put("vm.info", null));
            expect(400, api.put("vm.add-disk", "{\"path\": \"" + dir.resolve("no-such.img") + "\"}"));
            expect(400, api.put("vm.add-disk", "{\"path\": \"/tmp/a\\u0000b\"}")); // not a path: NUL
            Path img = Files.write(dir.resolve("d.img"), new byte[4096]);
            expect(409, api.put("vm.add-disk", "{\"path\": \"" + img + "\", \"id\": \"disk0\"}"));
            expect(404, api.put("vm.remove-device", "{\"id\": \"disk9\"}"));
            expect(400, api.put("vm.add-net", "{}"));
            expect(404, RawHttp.exchange(socket, RawHttp.request("GET", "/nothing", null)));

            byte[] garbage = new byte[1 << 20];
            new java.util.Random(1).nextBytes(garbage);
            byte[] head = ("PUT /api/v1/vm.add-disk HTTP/1.1\r\nHost: l\r\nContent-Length: " + garbage.length
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] big = java.util.Arrays.copyOf(head, head.length + garbage.length);
            System.arraycopy(garbage, 0, big, head.length, garbage.length);
            expect(413, RawHttp.exchange(socket, big));
            RawHttp.Answer junk = RawHttp.exchange(socket, garbage);
            assertEquals(400, junk.status(), "1 MiB of garbage instead of a request: " + junk.body());

            // A client that sends half a request and closes its side, and one that never reads its answers.
            try (SocketChannel half = RawHttp.connect(socket); SocketChannel deaf = RawHttp.connect(socket)) {
                RawHttp.send(half, "PUT /api/v1/vm.add-disk HTTP/1.1\r\nHost: l\r\nContent-Length: 100\r\n\r\n{"
                    .getBytes(StandardCharsets.US_ASCII));
                half.shutdownOutput();
                deaf.configureBlocking(false);
                byte[] info = "GET /api/v1/vm.counters HTTP/1.1\r\nHost: l\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < 2000; i++) {
                    if (deaf.write(java.nio.ByteBuffer.wrap(info)) == 0) {
                        break; // its buffers are full: the server is blocked on it, or stopped reading
                    }
                }
                // 100 clients at once, while those two hold their connections.
                List<SocketChannel> clients = new ArrayList<>();
                try {
                    for (int i = 0; i < 100; i++) {
                        clients.add(RawHttp.connect(socket));
                    }
                    for (SocketChannel c : clients) {
                        RawHttp.send(c, RawHttp.request("GET", "/api/v1/vm.info", null));
                    }
                    for (SocketChannel c : clients) {
                        RawHttp.Answer a = RawHttp.read(c);
                        assertEquals(200, a.status(), a.body());
                        assertTrue(a.body().contains("\"state\" : \"running\""), a.body());
                    }
                } finally {
                    for (SocketChannel c : clients) {
                        c.close();
                    }
                }
                assertEquals(200, api.get("vmm.ping").status(), "the API still answers");
            }

            // Hot add through the API: the device is on the bus, listed and counted; the test guest never ejects, so
            // a removal times out with the device in place.
            ApiClient.Reply added = api.put("vm.add-disk", "{\"path\": \"" + img + "\", \"id\": \"hot1\"}");
            assertEquals(200, added.status(), added.body());
            assertEquals("hot1", json(added).get("id"));
            String bdf = (String) json(added).get("bdf");
            assertTrue(bdf.matches("0000:00:[0-1][0-9a-f]\\.0"), bdf);
            expect(409, api.put("vm.add-disk", "{\"path\": \"" + img + "\", \"id\": \"hot1\"}"));
            assertTrue(api.get("vm.info").body().contains("\"bdf\" : \"" + bdf + "\""));
            assertEquals(0L, requests(api, "hot1"), "the hot-added disk has its counters in vm.counters");
            expect(504, api.put("vm.remove-device", "{\"id\": \"hot1\", \"timeout_ms\": 200}"));
            assertTrue(api.get("vm.info").body().contains("\"id\" : \"hot1\""), "not ejected: still there");
            expect(400, api.put("vm.remove-device", "{\"id\": \"disk0\"}"));
            assertEquals(204, api.put("vm.pause", null).status());
            expect(409, api.put("vm.add-disk", "{\"path\": \"" + img + "\"}"));
            assertEquals(204, api.put("vm.resume", null).status());

            assertEquals("running", json(api.get("vm.info")).get("state"));
            awaitRequestsAbove(api, "disk0", before, vm);
            assertTrue(vm.isAlive(), "the VM keeps running");
            assertEquals(204, api.put("vm.shutdown", null).status());
            assertTrue(vm.waitFor(60, TimeUnit.SECONDS), "vm.shutdown ends the run");
            assertEquals(0, vm.exitValue(), output());
        } finally {
            vm.destroyForcibly();
        }
    }

    /** The status, and an error body that is one sentence: {"error": "..."} on one line. */
    private static void expect(int status, ApiClient.Reply r) {
        assertEquals(status, r.status(), r.body());
        oneSentence(r.body());
    }

    private static void expect(int status, RawHttp.Answer a) {
        assertEquals(status, a.status(), a.body());
        oneSentence(a.body());
    }

    private static void oneSentence(String body) {
        Object error = obj(MiniJson.parse(body)).get("error");
        assertTrue(error instanceof String s && !s.isBlank() && !s.contains("\n") && s.length() < 300,
            "one sentence: " + body);
    }
}
