package io.vireo.vmm.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ACPI PCI hotplug with Debian's kernel (acpiphp, virtio_pci, virtio_blk) in the nested lab, driven through the API
 * socket, on PCI segment 1 (segment 0's slots are full of cold disks): five times, vm.add-disk of a file makes a new
 * /dev/vdX appear with the file's sha256, and vm.remove-device makes
 * the guest eject it; the VMM holds the file open exactly while the disk is attached, the slot is the same every
 * time, and the guest's kernel log has no warning. The script that drives it runs in L1:
 * {@code hotplug-cycles.sh} beside this class. About three minutes.
 */
class NestedLabHotplugTest {
    static final int CYCLES = 5;
    static Path labDir;

    @BeforeAll
    static void lab() throws IOException {
        NestedLab.needLab();
        labDir = Files.createDirectories(Path.of("/tmp/vireo-lab").resolve("hotplug-" + ProcessHandle.current().pid()));
    }

    @AfterAll
    static void clean() throws IOException {
        if (labDir != null) {
            try (var files = Files.list(labDir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(labDir);
        }
    }

    @Test
    void shouldAddAndRemoveADiskFiveTimesWhileLinuxRuns(TestReporter reporter) throws Exception {
        byte[] bytes = new byte[4 << 20];
        new Random(12).nextBytes(bytes);
        Path image = Files.write(labDir.resolve("hot.img"), bytes);
        String sha = VirtioBlkTestGuestTest.sha256(bytes);
        Path script = VireoProcess.root().resolve("vmm/src/test/resources/io/vireo/vmm/it/hotplug-cycles.sh");

        // 31 cold disks fill segment 0's slots, so the hot-added disk goes to segment 1 (PC01's slot S01).
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", script.toString(), image.toString(),
            Integer.toString(CYCLES), "--pci-segments", "2"));
        Path cold = Files.write(labDir.resolve("cold.img"), new byte[64 << 10]);
        for (int i = 0; i < 31; i++) {
            cmd.addAll(List.of("--disk", cold + ",readonly=on"));
        }
        VireoProcess.Result r = NestedLab.inLab(reporter, cmd);
        String out = r.stdout();
        assertEquals(0, r.status(), () -> NestedLab.show(r));
        for (int cycle = 1; cycle <= CYCLES; cycle++) {
            int c = cycle;
            // The API answered each add with the device's id and place: the first free slot, the same each time.
            assertTrue(out.contains("ADD " + c + " {\"id\":\"hot\",\"bdf\":\"0001:00:01.0\"}\n"),
                () -> NestedLab.show(r));
            Matcher m = Pattern.compile("ADDED " + c + " ([0-9a-f]{64}) (\\S+)").matcher(out);
            assertTrue(m.find(), () -> NestedLab.show(r));
            assertEquals(sha, m.group(1), "cycle " + c + ": the guest read the file through the hot-added disk");
            assertEquals("0001:00:01.0", m.group(2), "cycle " + c + ": Linux found it in the slot the API named");
            assertTrue(Pattern.compile("FDS-ATTACHED " + c + " [1-9]\n").matcher(out).find(),
                () -> "cycle " + c + ": image open\n" + NestedLab.show(r));
            assertTrue(Pattern.compile("REMOVE " + c + " (\\{})?\n").matcher(out).find(), () -> NestedLab.show(r));
            assertTrue(out.contains("FDS-REMOVED " + c + " 0\n"), () -> "cycle " + c + ": image closed\n"
                + NestedLab.show(r));
            assertTrue(out.contains("GONE " + c + "\n"), () -> NestedLab.show(r));
        }
        assertTrue(out.lines().noneMatch(l -> l.startsWith("DMESG ")), () -> "kernel warnings:\n" + NestedLab.show(r));
        assertTrue(out.contains("VMM-EXIT 0"), () -> NestedLab.show(r));
    }
}
