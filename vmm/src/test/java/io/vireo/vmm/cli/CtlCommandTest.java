package io.vireo.vmm.cli;

import io.vireo.vmm.api.ApiServer;
import io.vireo.vmm.api.ApiTarget;
import io.vireo.vmm.machine.DeviceControl;
import io.vireo.vmm.machine.DeviceControlException;
import io.vireo.vmm.machine.DiskConfig;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vireo ctl} in process against a real {@link ApiServer} whose machine is a stand-in (no KVM): the requests
 * it sends, what it prints (JSON and tables), its one-line errors and exit statuses.
 */
class CtlCommandTest {
    @TempDir
    Path dir;

    private Path socket;
    private ApiServer server;
    private final FakeControl control = new FakeControl();
    private final CountDownLatch shutdown = new CountDownLatch(1);

    private record Run(int status, String out, String err) {
    }

    /** Pause and resume as a state, one cold disk, hot add that records what it was given. */
    private static final class FakeControl implements DeviceControl {
        final List<DeviceInfo> devices = new CopyOnWriteArrayList<>(List.of(new DeviceInfo("disk0", "virtio-blk",
            "0000:00:01.0", Map.of("path", "/img/a.img"))));
        final List<DiskConfig> added = new CopyOnWriteArrayList<>();
        volatile boolean paused;

        @Override
        public List<DeviceInfo> devices() {
            return List.copyOf(devices);
        }

        @Override
        public Added addDisk(String id, DiskConfig disk) throws DeviceControlException {
            for (DeviceInfo d : devices) {
                if (d.id().equals(id)) {
                    throw new DeviceControlException(DeviceControlException.Kind.CONFLICT, "a device with id " + id
                        + " already exists");
                }
            }
            added.add(disk);
            String name = id == null ? "hotdisk0" : id;
            devices.add(new DeviceInfo(name, "virtio-blk", "0000:00:02.0", Map.of()));
            return new Added(name, "0000:00:02.0");
        }

        @Override
        public void removeDevice(String id, long timeoutMs) throws DeviceControlException {
            if (!devices.removeIf(d -> d.id().equals(id))) {
                throw new DeviceControlException(DeviceControlException.Kind.NOT_FOUND, "no device has id " + id);
            }
        }

        @Override
        public void pause() throws DeviceControlException {
            if (paused) {
                throw new DeviceControlException(DeviceControlException.Kind.CONFLICT, "the VM is already paused");
            }
            paused = true;
        }

        @Override
        public void resume() throws DeviceControlException {
            if (!paused) {
                throw new DeviceControlException(DeviceControlException.Kind.CONFLICT, "the VM is not paused");
            }
            paused = false;
        }

        @Override
        public String state() {
            return paused ? "paused" : "running";
        }
    }

    @BeforeEach
    void listen() {
        socket = dir.resolve("api.sock");
        server = ApiServer.start(socket, new ApiTarget() {
            @Override
            public DeviceControl control() {
                return control;
            }

            @Override
            public Map<String, Object> config() {
                return Map.of("cpus", 2);
            }

            @Override
            public Map<String, Object> counters() {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("devices", Map.of("disk0", Map.of("requests", 42L)));
                m.put("vcpus", List.of(Map.of("exits", 7L)));
                return m;
            }

            @Override
            public void shutdown() {
                shutdown.countDown();
            }
        });
    }

    @AfterEach
    void close() {
        server.close();
    }

    private Run ctl(String... args) {
        List<String> all = new ArrayList<>(List.of("ctl", "--api-socket", socket.toString()));
        all.addAll(List.of(args));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(all, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldPrintInfoAndCountersAsJsonOrTable() {
        Run info = ctl("info");
        assertEquals(0, info.status(), info.err());
        assertTrue(info.out().contains("\"state\" : \"running\"") && info.out().contains("\"bdf\" : \"0000:00:01.0\""),
            info.out());
        Run table = ctl("--table", "info");
        assertEquals(0, table.status(), table.err());
        assertTrue(table.out().matches("(?s)state\\s+running\ncpus\\s+2\n\nID\\s+TYPE\\s+BDF\\s+OPTIONS\n"
            + "disk0\\s+virtio-blk\\s+0000:00:01\\.0\\s+path=/img/a\\.img\n"), table.out());
        Run counters = ctl("counters", "--table");
        assertEquals(0, counters.status(), counters.err());
        assertTrue(counters.out().matches("(?s)SOURCE\\s+COUNTER\\s+VALUE\ndisk0\\s+requests\\s+42\nvcpu0\\s+exits"
            + "\\s+7\n"), counters.out());
    }

    @Test
    void shouldPauseResumeAndReportARefusalInOneLineWithStatus1() {
        assertEquals(0, ctl("pause").status());
        Run again = ctl("pause");
        assertEquals(1, again.status());
        assertEquals("vireo: ctl pause: 409 the VM is already paused\n", again.err());
        assertEquals("resumed\n", ctl("resume", "--table").out());
        assertEquals("running", control.state());
    }

    @Test
    void shouldHotAddAndRemoveWithTheGivenOptions() throws Exception {
        Path img = Files.write(dir.resolve("b.img"), new byte[4096]);
        Run add = ctl("--table", "add-disk", "path=" + img + ",id=fast,readonly=on,serial=S1");
        assertEquals(0, add.status(), add.err());
        assertEquals("added fast at 0000:00:02.0\n", add.out());
        DiskConfig d = control.added.get(0);
        assertEquals(img, d.path());
        assertTrue(d.readOnly());
        assertEquals("S1", d.serial());
        Run dup = ctl("add-disk", "path=" + img + ",id=disk0");
        assertEquals(1, dup.status());
        assertEquals("vireo: ctl add-disk: 409 a device with id disk0 already exists\n", dup.err());
        assertEquals(0, ctl("remove-device", "fast").status());
        Run gone = ctl("remove-device", "fast");
        assertEquals("vireo: ctl remove-device: 404 no device has id fast\n", gone.err());
        Run missing = ctl("add-disk", "path=" + dir.resolve("nope.img"));
        assertEquals(1, missing.status());
        assertTrue(missing.err().startsWith("vireo: ctl add-disk: 400 path ") && missing.err().endsWith(
            "does not exist\n"), missing.err());
    }

    @Test
    void shouldRefuseBadUsageWithStatus2AndAMissingOrDeadSocketWithStatus1() throws IOException {
        assertEquals(2, ctl("frobnicate").status());
        assertEquals(2, ctl("add-disk", "id=x").status());
        assertEquals(2, ctl("add-disk", "path=/a,colour=red").status());
        assertEquals(2, ctl("remove-device").status());
        assertEquals(2, ctl("ping", "extra").status());
        server.close();
        Run none = ctl("ping");
        assertEquals(1, none.status());
        assertEquals("vireo: ctl ping: " + socket + ": no such socket (is a VMM running with --api-socket " + socket
            + "?)\n", none.err());
        try (ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            gone.bind(UnixDomainSocketAddress.of(socket)); // closed below: its file stays, nobody listens
        }
        Run refused = ctl("ping");
        assertEquals(1, refused.status());
        assertEquals("vireo: ctl ping: " + socket + ": connection refused (no VMM is listening there)\n",
            refused.err());
    }

    @Test
    void shouldAnswerShutdownBeforeStopping() throws InterruptedException {
        Run r = ctl("shutdown");
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.out());
        assertTrue(shutdown.await(10, TimeUnit.SECONDS), "the machine is told to stop once the answer is sent");
    }
}
