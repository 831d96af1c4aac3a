package io.vireo.vmm.it;

import io.vireo.vmm.api.ApiClient;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
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
