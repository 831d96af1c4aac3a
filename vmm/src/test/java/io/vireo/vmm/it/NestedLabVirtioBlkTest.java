package io.vireo.vmm.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debian's own virtio_pci and virtio_blk drivers against Vireo's disks, in the nested lab. Disk images
 * live in /tmp/vireo-lab, which the lab shares read-write with the host. About 45 s each.
 */
class NestedLabVirtioBlkTest {
    static Path labDir;
    static Path disk;
    static String diskSha256;

    @BeforeAll
    static void disk() throws Exception {
        NestedLabLinuxTest.needLab();
        labDir = Files.createDirectories(Path.of("/tmp/vireo-lab"))
            .resolve("blk-test-" + ProcessHandle.current().pid());
        Files.createDirectories(labDir);
        byte[] bytes = new byte[64 << 20];
        new Random(7).nextBytes(bytes);
        disk = Files.write(labDir.resolve("random64.img"), bytes);
        diskSha256 = VirtioBlkTestGuestTest.sha256(bytes);
    }

    @AfterAll
    static void clean() throws IOException {
        if (labDir != null) {
            try (var files = Files.walk(labDir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static String show(VireoProcess.Result r) {
        return "status " + r.status() + "\nstdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr();
    }

    @Test
    void shouldReadTheDiskWithLinuxDriversAndShowTheSerial() {
        VireoProcess.Result r = NestedLabLinuxTest.lab("--disk", disk + ",readonly=on,serial=VIREOLAB1", "--",
            "sh", "-c", "sha256sum /dev/vda; cat /sys/block/vda/serial; echo");
        assertEquals(0, r.status(), () -> show(r));
        assertTrue(r.stdout().contains(diskSha256 + "  /dev/vda"), () -> show(r));
        assertTrue(r.stdout().contains("VIREOLAB1"), () -> show(r));
    }

    @Test
    void shouldReadTheSameThroughTheLegacyInterface() {
        VireoProcess.Result r = NestedLabLinuxTest.lab("--disk", disk + ",readonly=on", "--cmdline",
            "virtio_pci.force_legacy=1", "--", "sha256sum", "/dev/vda");
        assertEquals(0, r.status(), () -> show(r));
        assertTrue(r.stdout().contains(diskSha256 + "  /dev/vda"), () -> show(r));
    }

    @Test
    void shouldKeepAFsyncedGuestWriteInTheHostFile() throws IOException {
        Path w = Files.write(labDir.resolve("write.img"), new byte[4 << 20]);
        VireoProcess.Result r = NestedLabLinuxTest.lab("--disk", w.toString(), "--", "sh", "-c",
            "printf 'vireo-was-here' > /tmp/m && dd if=/tmp/m of=/dev/vda bs=512 seek=8 conv=fsync,sync 2>&1");
        assertEquals(0, r.status(), () -> show(r));
        byte[] sector = Arrays.copyOfRange(Files.readAllBytes(w), 8 * 512, 9 * 512);
        byte[] expected = new byte[512];
        System.arraycopy("vireo-was-here".getBytes(), 0, expected, 0, 14);
        assertArrayEquals(expected, sector);
    }

    @Test
    void shouldShowSixtyFourDisksToLinux() throws IOException {
        List<String> args = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            Path d = Files.write(labDir.resolve("many" + i + ".img"), new byte[1 << 20]);
            args.addAll(List.of("--disk", d + ",readonly=on,serial=d" + i));
        }
        args.addAll(List.of("--", "sh", "-c", "ls /sys/block | grep -c '^vd'"));
        VireoProcess.Result r = NestedLabLinuxTest.lab(args.toArray(String[]::new));
        assertEquals(0, r.status(), () -> show(r));
        assertTrue(r.stdout().lines().anyMatch(l -> l.trim().equals("64")), () -> show(r));
    }
}
