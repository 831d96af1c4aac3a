package io.vireo.vmm.it;

import io.vireo.vmm.api.ApiClient;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Hot add and remove against a guest that knows nothing of ACPI (the test guest, busy in its loop): devices go on the
 * bus through the API and fill every free slot of both segments, the one after that is refused, and a remove the
 * guest never answers leaves the device fully in place (still listed, its file still open) with 504. Linux's side of
 * hotplug is {@link NestedLabHotplugTest}.
 */
class HotplugTestGuestTest {
    static final Path VIRTIOFSD = Path.of("/usr/lib/qemu/virtiofsd");

    @Test
    void shouldFillTheFreeSlotsAndLeaveADeviceTheGuestDoesNotEjectInPlace(@TempDir Path dir) throws Exception {
        assumeTrue(VireoProcess.kvmAccessible(), "skipped: /dev/kvm is missing or not read/write for this user");
        Path cold = Files.write(dir.resolve("cold.img"), new byte[1 << 20]);
        Path hot = Files.write(dir.resolve("hot.img"), new byte[1 << 20]);
        Path sock = dir.resolve("api.sock");
        ProcessBuilder pb = new ProcessBuilder(VireoProcess.root().resolve("vireo").toString(), "run", "--disk",
            cold.toString(), "--pci-segments", "2", "--api-socket", sock.toString(), "--timeout", "100", "--cmdline",
            "loops=200000000000")
            .directory(VireoProcess.root().toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
        pb.environment().put("VIREO_AOT", "off");
        Process vmm = pb.start();
        try {
            for (int i = 0; i < 300 && !Files.exists(sock); i++) {
                Thread.sleep(100);
            }
            assertTrue(Files.exists(sock), () -> "no API socket: " + read(dir.resolve("err")));
            try (ApiClient api = ApiClient.of(sock)) {
                // Slot 1 of segment 0 holds the cold disk: 30 free slots there, then 31 on segment 1.
                List<String> bdfs = new ArrayList<>();
                for (int i = 2; i < 63; i++) {
                    ApiClient.Reply r = api.put("vm.add-disk", "{\"path\": \"" + hot + "\", \"id\": \"h" + i
                        + "\", \"readonly\": true}");
                    assertEquals(200, r.status(), r.body());
                    bdfs.add(r.body().replaceAll("(?s).*\"bdf\"\\s*:\\s*\"([^\"]+)\".*", "$1"));
                }
                assertEquals(String.format("0000:00:%02x.0", 2), bdfs.get(0));
                assertEquals("0000:00:1f.0", bdfs.get(29));
                assertEquals("0001:00:01.0", bdfs.get(30), "segment 0 full: segment 1's first slot");
                assertEquals("0001:00:1f.0", bdfs.get(60));
                ApiClient.Reply full = api.put("vm.add-disk", "{\"path\": \"" + hot + "\", \"id\": \"one-more\"}");
                assertEquals(500, full.status(), full.body());
                assertTrue(full.body().contains("no free PCI slot"), full.body());

                long openBefore = openCount(vmm.pid(), hot);
                assertTrue(openBefore >= 61, "each hot-added disk holds the file open: " + openBefore);
                ApiClient.Reply r = api.put("vm.remove-device", "{\"id\": \"h7\", \"timeout_ms\": 300}");
                assertEquals(504, r.status(), r.body());
                assertTrue(r.body().contains("did not eject h7"), r.body());
                assertTrue(api.get("vm.info").body().contains("\"h7\""), "h7 stays listed");
                assertEquals(openBefore, openCount(vmm.pid(), hot), "h7's file stays open");
                // The slot stays taken: a new add still finds no room.
                assertEquals(500, api.put("vm.add-disk", "{\"path\": \"" + hot + "\", \"id\": \"again\"}").status());
                assertEquals(400, api.put("vm.remove-device", "{\"id\": \"disk0\", \"timeout_ms\": 300}").status(),
                    "a cold-plugged disk is not removable");
                api.put("vm.shutdown", null);
            }
            assertTrue(vmm.waitFor(60, TimeUnit.SECONDS));
        } finally {
            vmm.destroyForcibly();
        }
    }

    /**
     * A loopback virtio-net device and a virtio-fs device served by a real virtiofsd, hot-added through the API: 200
     * with id and PCI address, listed by vm.info with their type and options; bad bodies are 400 in one sentence, a
     * taken id 409; a remove the test guest never answers is 504 and leaves both in place (virtiofsd still serving).
     */
    @Test
    void shouldHotAddANetAndAFsAndLeaveThemInPlaceWhenTheGuestDoesNotEject(@TempDir Path dir) throws Exception {
        assumeTrue(VireoProcess.kvmAccessible(), "skipped: /dev/kvm is missing or not read/write for this user");
        assumeTrue(Files.isExecutable(VIRTIOFSD), "skipped: " + VIRTIOFSD + " is missing (scripts/setup installs it)");
        assumeTrue("root".equals(ProcessHandle.current().info().user().orElse("")), "skipped: virtiofsd needs root");
        Path share = Files.createDirectory(dir.resolve("share"));
        Path fsSock = dir.resolve("fs.sock");
        Process fsd = new ProcessBuilder(VIRTIOFSD.toString(), "--socket-path=" + fsSock, "-o", "source=" + share,
            "-o", "cache=none", "-o", "sandbox=chroot")
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectErrorStream(true)
            .redirectOutput(dir.resolve("fsd.log").toFile()).start();
        Path sock = dir.resolve("api.sock");
        ProcessBuilder pb = new ProcessBuilder(VireoProcess.root().resolve("vireo").toString(), "run",
            "--api-socket", sock.toString(), "--timeout", "100", "--cmdline", "loops=200000000000")
            .directory(VireoProcess.root().toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
        pb.environment().put("VIREO_AOT", "off");
        Process vmm = pb.start();
        try {
            for (int i = 0; i < 300 && !(Files.exists(sock) && Files.exists(fsSock)); i++) {
                Thread.sleep(100);
            }
            assertTrue(Files.exists(sock), () -> "no API socket: " + read(dir.resolve("err")));
            assertTrue(Files.exists(fsSock), () -> "no virtiofsd socket: " + read(dir.resolve("fsd.log")));
            try (ApiClient api = ApiClient.of(sock)) {
                ApiClient.Reply net = api.put("vm.add-net", "{\"id\": \"n1\", \"loopback\": true, \"mac\": "
                    + "\"52:54:00:aa:bb:cc\", \"queues\": 2, \"mtu\": 9000}");
                assertEquals(200, net.status(), net.body());
                assertTrue(net.body().matches("(?s)\\{\\s*\"id\"\\s*:\\s*\"n1\",\\s*\"bdf\"\\s*:\\s*"
                    + "\"0000:00:01\\.0\"\\s*}\\s*"), net.body());
                ApiClient.Reply unnamed = api.put("vm.add-net", "{\"loopback\": true}");
                assertEquals(200, unnamed.status(), unnamed.body());
                assertTrue(unnamed.body().contains("\"hotnet"), unnamed.body());
                ApiClient.Reply fs = api.put("vm.add-fs", "{\"id\": \"f1\", \"tag\": \"share\", \"socket\": \""
                    + fsSock + "\", \"queues\": 1, \"queue_size\": 256}");
                assertEquals(200, fs.status(), fs.body());
                assertTrue(fs.body().contains("\"0000:00:03.0\""), fs.body());

                String info = api.get("vm.info").body().replaceAll("\\s+", "");
                // The options' order is the map's: each one is checked.
                String n1 = device(info, "n1");
                assertTrue(n1.startsWith("{\"id\":\"n1\",\"type\":\"virtio-net\",\"bdf\":\"0000:00:01.0\""), n1);
                for (String o : List.of("\"loopback\":\"on\"", "\"mac\":\"52:54:00:aa:bb:cc\"", "\"queues\":\"2\"",
                    "\"mtu\":\"9000\"")) {
                    assertTrue(n1.contains(o), o + " in " + n1);
                }
                String f1 = device(info, "f1");
                assertTrue(f1.startsWith("{\"id\":\"f1\",\"type\":\"virtio-fs\",\"bdf\":\"0000:00:03.0\""), f1);
                for (String o : List.of("\"tag\":\"share\"", "\"socket\":\"" + fsSock + "\"", "\"queues\":\"1\"",
                    "\"queue_size\":\"256\"")) {
                    assertTrue(f1.contains(o), o + " in " + f1);
                }

                expect400(api, "vm.add-net", "{\"loopback\": true, \"mac\": \"01:00:5e:00:00:01\"}",
                    "mac 01:00:5e:00:00:01 is a multicast address");
                expect400(api, "vm.add-net", "{\"loopback\": true, \"mac\": \"52:54:00\"}", "mac must be six hex");
                expect400(api, "vm.add-net", "{\"id\": \"x\"}", "give exactly one back end");
                expect400(api, "vm.add-net", "{\"loopback\": true, \"queues\": 0}", "'queues' must be a whole");
                expect400(api, "vm.add-fs", "{\"socket\": \"" + fsSock + "\"}", "field 'tag' is missing");
                expect400(api, "vm.add-fs", "{\"tag\": \"t\", \"socket\": \"" + dir.resolve("none.sock") + "\"}",
                    "does not exist");
                Path dead = dir.resolve("dead.sock");
                try (ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                    gone.bind(UnixDomainSocketAddress.of(dead)); // closed below: its file stays, nobody listens
                }
                expect400(api, "vm.add-fs", "{\"tag\": \"t\", \"socket\": \"" + dead + "\"}", dead.toString());
                ApiClient.Reply dup = api.put("vm.add-net", "{\"id\": \"f1\", \"loopback\": true}");
                assertEquals(409, dup.status(), dup.body());
                ApiClient.Reply dupFs = api.put("vm.add-fs", "{\"id\": \"n1\", \"tag\": \"t\", \"socket\": \""
                    + fsSock + "\"}");
                assertEquals(409, dupFs.status(), dupFs.body());

                for (String id : List.of("n1", "f1")) {
                    ApiClient.Reply r = api.put("vm.remove-device", "{\"id\": \"" + id + "\", \"timeout_ms\": 300}");
                    assertEquals(504, r.status(), r.body());
                    assertTrue(r.body().contains("did not eject " + id), r.body());
                    assertTrue(api.get("vm.info").body().contains("\"" + id + "\""), id + " stays listed");
                }
                assertTrue(fsd.isAlive(), "virtiofsd still serves f1's connection");
                assertTrue(api.get("vm.counters").body().contains("\"n1\""), "n1's counters are live");
                api.put("vm.shutdown", null);
            }
            assertTrue(vmm.waitFor(60, TimeUnit.SECONDS));
            assertTrue(fsd.waitFor(10, TimeUnit.SECONDS), "virtiofsd ends with the VMM's connection");
        } finally {
            vmm.destroyForcibly();
            fsd.destroyForcibly();
            fsd.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The JSON object of device {@code id} in vm.info's body (whitespace removed). */
    private static String device(String info, String id) {
        int start = info.indexOf("{\"id\":\"" + id + "\"");
        assertTrue(start >= 0, id + " is listed: " + info);
        int end = info.indexOf("}}", start);
        return info.substring(start, end + 2);
    }

    private static void expect400(ApiClient api, String endpoint, String body, String says) throws Exception {
        ApiClient.Reply r = api.put(endpoint, body);
        assertEquals(400, r.status(), body + " -> " + r.body());
        // One sentence: no escaped line break (a stack trace) in the error.
        assertTrue(r.body().contains(says) && !r.body().contains("\\n"), body + " -> " + r.body());
    }

    private static long openCount(long pid, Path file) throws IOException {
        long n = 0;
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    n += Files.readSymbolicLink(fd).equals(file) ? 1 : 0;
                } catch (IOException gone) {
                    // closed meanwhile
                }
            }
        }
        return n;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
