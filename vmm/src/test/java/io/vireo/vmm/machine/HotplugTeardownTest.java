package io.vireo.vmm.machine;

import io.vireo.vmm.cli.RunOptions;
import io.vireo.vmm.cli.TestGuestImage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The teardown after a guest's {@code _EJ0}, without a guest that can eject: a machine in this JVM runs the test
 * guest, a virtio-net device (loopback) and a virtio-fs device (served by a real virtiofsd) are hot-added through
 * {@link DeviceControl}, a remove is asked for, and the eject callback the B0EJ write would reach is called directly.
 * The remove then returns, the device is gone from the list, every fd it opened is closed (virtiofsd sees the
 * connection end and exits), and the same id goes back into the same slot (its BAR ranges and GSIs were returned).
 */
class HotplugTeardownTest {
    static final Path VIRTIOFSD = Path.of("/usr/lib/qemu/virtiofsd");

    @Test
    void shouldCloseEverythingAHotAddedNetAndFsHeldOnceTheGuestEjects(@TempDir Path dir) throws Exception {
        Path kvm = Path.of("/dev/kvm");
        assumeTrue(Files.isReadable(kvm) && Files.isWritable(kvm), "skipped: /dev/kvm is missing or not read/write");
        // No disk: a disk's warm-up thread would close its fds while the test counts.
        MachineConfig config = RunOptions.parse(List.of("--memory", "64M", "--cmdline", "loops=200000000000"))
            .toConfig(TestGuestImage::path);
        try (Machine m = MachineBuilder.build(config)) {
            MachineControl control = (MachineControl) m.control();
            Hotplug hotplug = (Hotplug) control.hotplug();

            // A first add and remove: what the machine opens once (while it boots, for the first hot add) settles.
            DeviceControl.Added net = control.addNet("n1", new NetConfig(NetConfig.Backend.LOOPBACK, null, null, 2, 0,
                NetConfig.DEFAULT_POLL_NS));
            assertEquals("0000:00:01.0", net.bdf());
            assertTrue(listed(control, "n1"));
            ejectDuringRemove(control, hotplug, "n1", net.bdf());
            assertFalse(listed(control, "n1"));
            long fdsBefore = settleFds(-1);
            String linksBefore = links().toString();
            assertEquals(net.bdf(), control.addNet("n1", new NetConfig(NetConfig.Backend.LOOPBACK, null, null, 2, 0,
                NetConfig.DEFAULT_POLL_NS)).bdf(), "the slot, its BAR ranges and GSIs are free again");
            assertTrue(fds() >= fdsBefore + 4, "the device's queues' eventfds are open: " + fds());
            ejectDuringRemove(control, hotplug, "n1", net.bdf());
            assertEquals(fdsBefore, settleFds(fdsBefore), () -> "every fd the net device opened is closed: before "
                + linksBefore + ", now " + linksQuietly());

            assumeTrue(Files.isExecutable(VIRTIOFSD) && ProcessHandle.current().info().user().orElse("")
                .equals("root"), "skipped (fs part): virtiofsd is missing or this is not root");
            Path share = Files.createDirectory(dir.resolve("share"));
            Path sock = dir.resolve("fs.sock");
            Process fsd = new ProcessBuilder(VIRTIOFSD.toString(), "--socket-path=" + sock, "-o", "source=" + share,
                "-o", "cache=none", "-o", "sandbox=chroot").redirectInput(ProcessBuilder.Redirect.from(
                    new File("/dev/null"))).redirectErrorStream(true).redirectOutput(dir.resolve("fsd.log").toFile())
                .start();
            try {
                for (int i = 0; i < 200 && !Files.exists(sock); i++) {
                    Thread.sleep(50);
                }
                assertTrue(Files.exists(sock), "virtiofsd made no socket");
                DeviceControl.Added fs = control.addFs("f1", new VhostUserConfig(VhostUserConfig.Kind.FS, sock, 1,
                    VhostUserConfig.DEFAULT_FS_QUEUE_SIZE, "share"));
                assertEquals("0000:00:01.0", fs.bdf());
                assertTrue(listed(control, "f1"));
                assertTrue(fsd.isAlive(), "virtiofsd serves the connection");
                ejectDuringRemove(control, hotplug, "f1", fs.bdf());
                assertFalse(listed(control, "f1"));
                assertTrue(fsd.waitFor(10, TimeUnit.SECONDS), "virtiofsd saw the connection close and ended");
                assertEquals(fdsBefore, settleFds(fdsBefore), () -> "every fd the fs device opened is closed: before "
                    + linksBefore + ", now " + linksQuietly());
            } finally {
                fsd.destroyForcibly();
                fsd.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** A remove, and while it waits, the guest's eject of that slot as the B0EJ write would deliver it. */
    private static void ejectDuringRemove(MachineControl control, Hotplug hotplug, String id, String bdf)
        throws Exception {
        CompletableFuture<Void> removed = CompletableFuture.runAsync(() -> {
            try {
                control.removeDevice(id, 10_000);
            } catch (DeviceControlException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300); // the remove is now waiting on the guest
        assertFalse(removed.isDone());
        int segment = Integer.parseInt(bdf.substring(0, 4), 16);
        int slot = Integer.parseInt(bdf.substring(8, 10), 16);
        hotplug.eject(segment, slot);
        removed.get(20, TimeUnit.SECONDS);
    }

    private static boolean listed(DeviceControl control, String id) {
        return control.devices().stream().anyMatch(d -> d.id().equals(id));
    }

    private static String linksQuietly() {
        try {
            return links().toString();
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** What the open fds are, counted by kind (jars and files by path). */
    private static java.util.TreeMap<String, Integer> links() throws IOException {
        java.util.TreeMap<String, Integer> m = new java.util.TreeMap<>();
        try (Stream<Path> l = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : l.toList()) {
                try {
                    m.merge(Files.readSymbolicLink(p).toString().replaceAll("\\[[0-9]+\\]$", ""), 1, Integer::sum);
                } catch (IOException e) {
                    m.merge("gone", 1, Integer::sum);
                }
            }
        }
        return m;
    }

    private static long fds() throws IOException {
        try (Stream<Path> l = Files.list(Path.of("/proc/self/fd"))) {
            return l.count();
        }
    }

    /** The open fd count once it stops moving (or reaches {@code want}), a few seconds at most. */
    private static long settleFds(long want) throws IOException, InterruptedException {
        long n = fds();
        for (int i = 0; i < 50 && n != want; i++) {
            Thread.sleep(100);
            long next = fds();
            if (want < 0 && next == n) {
                return n;
            }
            n = next;
        }
        return n;
    }
}
