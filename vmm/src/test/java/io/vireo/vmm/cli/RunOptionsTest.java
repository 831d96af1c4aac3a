package io.vireo.vmm.cli;

import io.vireo.vmm.VireoException;
import io.vireo.vmm.machine.MachineConfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunOptionsTest {
    @TempDir
    Path dir;

    private MachineConfig config(String... args) throws IOException {
        Path k = Files.writeString(dir.resolve("kernel"), "x");
        return RunOptions.parse(List.of(args)).toConfig(() -> k);
    }

    private static String error(org.junit.jupiter.api.function.Executable e) {
        return assertThrows(VireoException.class, e).getMessage();
    }

    @Test
    void shouldTakeDefaultsWhenNoFlags() throws IOException {
        MachineConfig c = config();
        assertEquals(1, c.cpus());
        assertEquals(512L << 20, c.memoryBytes());
        assertEquals("", c.cmdline());
        assertEquals(0, c.timeoutNanos());
    }

    @Test
    void shouldParseSizesLikeQemu() {
        assertEquals(4L << 30, Sizes.parseBytes("--memory", "4G"));
        assertEquals(4L << 30, Sizes.parseBytes("--memory", "4GiB"));
        assertEquals(512L << 20, Sizes.parseBytes("--memory", "512"));
        assertEquals(512L << 20, Sizes.parseBytes("--memory", "512m"));
        assertEquals(1L << 40, Sizes.parseBytes("--memory", "1T"));
        assertTrue(error(() -> Sizes.parseBytes("--memory", "-1G")).contains("--memory"));
        assertTrue(error(() -> Sizes.parseBytes("--memory", "99999999999999999T")).contains("out of range"));
    }

    @Test
    void shouldAcceptEqualsFormAndSeparateValue() throws IOException {
        MachineConfig c = config("--cpus=2", "--memory", "1G", "--cmdline", "exit=7 loops=5", "--timeout=1.5");
        assertEquals(2, c.cpus());
        assertEquals(1L << 30, c.memoryBytes());
        assertEquals("exit=7 loops=5", c.cmdline());
        assertEquals(1_500_000_000L, c.timeoutNanos());
    }

    @Test
    void shouldRefuseOutOfRangeValues() {
        assertTrue(error(() -> config("--cpus", "0")).contains("--cpus must be between 1 and 255 (got 0)"));
        assertTrue(error(() -> config("--cpus", "256")).contains("got 256"));
        assertTrue(error(() -> config("--memory", "0")).contains("--memory must be between"));
        assertTrue(error(() -> config("--memory", "20000K")).contains("whole number of MiB"));
        assertTrue(error(() -> config("--timeout", "0")).contains("--timeout"));
        assertTrue(error(() -> config("--cpus")).contains("--cpus needs a value"));
        assertTrue(error(() -> config("--guest", "windows")).contains("'test' or 'linux'"));
        assertTrue(error(() -> config("stray")).contains("unexpected argument 'stray'"));
    }

    @Test
    void shouldNameMissingAndDirectoryPaths() {
        assertTrue(error(() -> config("--kernel", dir.resolve("nope").toString())).endsWith("no such file"));
        assertTrue(error(() -> config("--kernel", dir.toString())).endsWith("is a directory"));
        assertTrue(error(() -> config("--initrd", dir.resolve("nope").toString())).startsWith("--initrd"));
    }

    @Test
    void shouldTakeAValueThatLooksLikeAFlag() throws IOException {
        assertEquals("--verbose", config("--cmdline=--verbose").cmdline());
        assertEquals("--stats", config("--cmdline", "--stats").cmdline());
    }

    @Test
    void shouldKeepGuestCommandAfterDoubleDash() {
        RunOptions o = RunOptions.parse(List.of("--cpus", "2", "--", "uname", "-r"));
        assertEquals(List.of("uname", "-r"), o.command);
    }

    @Test
    void shouldTakePciSegmentsAndRefuseWhatCannotFit() throws IOException {
        assertEquals(1, config().pciSegments());
        assertEquals(4, config("--pci-segments", "4").pciSegments());
        assertTrue(error(() -> config("--pci-segments", "0")).contains("--pci-segments must be 1..16"));
        assertTrue(error(() -> config("--pci-segments", "17")).contains("--pci-segments must be 1..16"));
        // 16 segments x 248 functions: one disk more is a usage error, not an internal one.
        Path d = Files.write(dir.resolve("d.img"), new byte[512]);
        String[] args = new String[2 * (16 * 248 + 1)];
        for (int i = 0; i < args.length; i += 2) {
            args[i] = "--disk";
            args[i + 1] = d + ",readonly=on";
        }
        String e = error(() -> config(args));
        assertTrue(e.contains("3969 disks do not fit") && e.contains("16 PCI segments hold 3968"), e);
    }
}
