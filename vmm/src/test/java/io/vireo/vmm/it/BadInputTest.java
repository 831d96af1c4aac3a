package io.vireo.vmm.it;

import io.vireo.vmm.boot.BzImageBuilder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad user input: one line on stderr naming the problem, a non-zero status, no stack trace. */
class BadInputTest {
    private static void assertOneLineError(VireoProcess.Result r, int status, String... words) {
        assertEquals(status, r.status(), () -> "status; stderr:\n" + r.stderr());
        List<String> lines = r.stderrLines();
        assertEquals(1, lines.size(), () -> "exactly one line on stderr:\n" + r.stderr());
        String line = lines.get(0);
        assertTrue(line.startsWith("vireo: "), line);
        assertFalse(line.contains("Exception"), line);
        for (String w : words) {
            assertTrue(line.contains(w), () -> "'" + w + "' in: " + line);
        }
        assertEquals("", r.stdout());
    }

    @Test
    void shouldNameMissingKernelPath() {
        assertOneLineError(VireoProcess.run("run", "--kernel", "/nonexistent/vmlinux"), 2,
            "--kernel", "/nonexistent/vmlinux", "no such file");
    }

    @Test
    void shouldRefuseFileThatIsNotABootableKernel(@TempDir Path dir) throws IOException {
        Path junk = dir.resolve("notakernel.bin");
        Files.write(junk, "this is not a kernel, just text\n".repeat(100).getBytes());
        assertOneLineError(VireoProcess.run("run", "--kernel", junk.toString()), 2, junk.toString(), "not");
    }

    @Test
    void shouldRefuseAnApiSocketPathThatCannotBeOneBeforeTheVmStarts(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("taken"), "a file");
        // Refused before the VM is built: no guest output at all (stdout is empty).
        assertOneLineError(VireoProcess.run("run", "--api-socket", file.toString()), 2, "--api-socket",
            file.toString(), "exists and is not a socket");
        assertOneLineError(VireoProcess.run("run", "--api-socket", "/nonexistent/dir/api.sock"), 2, "--api-socket",
            "directory /nonexistent/dir does not exist");
    }

    @Test
    void shouldRefuseZeroMemory() {
        assertOneLineError(VireoProcess.run("run", "--memory", "0"), 2, "--memory");
    }

    @Test
    void shouldRefuseZeroCpus() {
        assertOneLineError(VireoProcess.run("run", "--cpus", "0"), 2, "--cpus", "0");
    }

    @Test
    void shouldSayInOneLineThatNoVmRunsWhenStatFindsNone(@TempDir Path dir) {
        assertOneLineError(VireoProcess.run("stat", "--run-dir", dir.toString()), 1, "no running VM under", dir
            .toString());
        assertOneLineError(VireoProcess.run("stat", "999999999", "--run-dir", dir.toString()), 1,
            "no running VM 999999999");
        assertOneLineError(VireoProcess.run("stat", "--interval", "0"), 2, "--interval");
    }

    @Test
    void shouldNameTheProblemWhenTraceGetsSomethingElse(@TempDir Path dir) throws IOException {
        Path junk = dir.resolve("junk.trace");
        Files.write(junk, new byte[256]);
        assertOneLineError(VireoProcess.run("trace", junk.toString()), 2, junk.toString(), "not a Vireo trace");
        assertOneLineError(VireoProcess.run("run", "--trace", dir.resolve("t") + ",full=never"), 2, "--trace",
            "full=never");
    }

    @Test
    void shouldNameUnknownFlag() {
        assertOneLineError(VireoProcess.run("run", "--frobnicate"), 2, "unknown option --frobnicate");
    }

    @Test
    void shouldRefuseMemoryThatIsNotASize() {
        assertOneLineError(VireoProcess.run("run", "--memory", "lots"), 2, "--memory", "lots");
    }

    @Test
    void shouldSayWhenKvmDeviceIsMissing() {
        assertOneLineError(VireoProcess.run(Map.of("VIREO_KVM_DEVICE", "/nonexistent/kvm"), "run"), 3,
            "/nonexistent/kvm", "ENOENT (2)");
    }

    @Test
    void shouldSayWhenKvmDeviceIsNotKvm(@TempDir Path dir) throws IOException {
        Path notKvm = Files.writeString(dir.resolve("kvm"), "");
        assertOneLineError(VireoProcess.run(Map.of("VIREO_KVM_DEVICE", notKvm.toString()), "run"), 3,
            "KVM_GET_API_VERSION", "ENOTTY (25)");
    }

    @Test
    void shouldNameTruncatedBzImage(@TempDir Path dir) throws IOException {
        byte[] full = new BzImageBuilder().build();
        Path k = Files.write(dir.resolve("bzImage-cut"), java.util.Arrays.copyOf(full, full.length - 64));
        assertOneLineError(VireoProcess.run("run", "--kernel", k.toString()), 2, k.toString(), "truncated");
    }

    @Test
    void shouldRefuseBzImageWithTooOldBootProtocol(@TempDir Path dir) throws IOException {
        Path k = Files.write(dir.resolve("bzImage-old"), new BzImageBuilder().version(0x0206).build());
        assertOneLineError(VireoProcess.run("run", "--kernel", k.toString()), 2, k.toString(),
            "boot protocol 2.06 is too old", "2.12");
    }

    @Test
    void shouldRefuseInitrdLargerThanRamAllows(@TempDir Path dir) throws IOException {
        Path k = Files.write(dir.resolve("bzImage"), new BzImageBuilder().build());
        Path initrd = dir.resolve("initrd.img");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(initrd.toFile(), "rw")) {
            f.setLength(100L << 20); // sparse: 100 MiB of zeros costs nothing
        }
        assertOneLineError(VireoProcess.run("run", "--kernel", k.toString(), "--initrd", initrd.toString(),
            "--memory", "64M"), 2, "initrd is 104857600 bytes", "does not fit");
    }

    @Test
    void shouldNameBadDiskOptions() {
        assertOneLineError(VireoProcess.run("run", "--disk", "null:1G,backend=floppy"), 2, "backend",
            "io_uring, sync or null", "floppy");
        assertOneLineError(VireoProcess.run("run", "--disk", "null:1G,queues=0"), 2, "queues", "between 1 and 64");
        assertOneLineError(VireoProcess.run("run", "--disk", "null:1G,poll-us=-5"), 2, "poll-us");
        assertOneLineError(VireoProcess.run("run", "--disk", "null:0"), 2, "positive multiple of 512");
        assertOneLineError(VireoProcess.run("run", "--disk", "null:1G,fail=12-x"), 2, "fail", "12-x");
        assertOneLineError(VireoProcess.run("run", "--disk", "null:1G,backend=sync"), 2, "null:SIZE", "no file");
        assertOneLineError(VireoProcess.run("run", "--io-threads", "many"), 2, "--io-threads", "many");
        assertOneLineError(VireoProcess.run("run", "--io-cpus", "zero"), 2, "--io-cpus", "zero", "whole number");
    }

    @Test
    void shouldNameBadNetOptions() {
        assertOneLineError(VireoProcess.run("run", "--net", "tap=a/b"), 2, "--net tap=a/b", "tap name");
        assertOneLineError(VireoProcess.run("run", "--net", "tap=waytoolongtapname0"), 2, "1 to 15 characters");
        assertOneLineError(VireoProcess.run("run", "--net", "bridge=br0"), 2, "tap=NAME or loopback");
        assertOneLineError(VireoProcess.run("run", "--net", "loopback,mac=52:54:00:12:34"), 2, "mac", "six hex bytes");
        assertOneLineError(VireoProcess.run("run", "--net", "loopback,mac=01:00:5e:00:00:01"), 2, "multicast");
        assertOneLineError(VireoProcess.run("run", "--net", "loopback,queues=0"), 2, "queues", "between 1 and 16");
        assertOneLineError(VireoProcess.run("run", "--net", "loopback,mtu=20"), 2, "mtu", "between 68 and 65535");
        assertOneLineError(VireoProcess.run("run", "--net", "loopback,vhost=on"), 2, "unknown option 'vhost'");
    }

    @Test
    void shouldSayInOneLineThatATapNeedsCapNetAdmin() {
        Path setpriv = Path.of("/usr/bin/setpriv");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(setpriv), "no setpriv(1)");
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
            "runs as root without CAP_NET_ADMIN");
        // Root without CAP_NET_ADMIN may open /dev/net/tun but not create a tap.
        VireoProcess.Result r = VireoProcess.exec(List.of(setpriv.toString(), "--bounding-set=-net_admin",
            "--inh-caps=-net_admin", "--", VireoProcess.root().resolve("vireo").toString(), "run", "--net",
            "tap=vnoperm" + ProcessHandle.current().pid() % 10000), Map.of(), 120);
        assertOneLineError(r, 2, "--net tap=vnoperm", "no permission", "CAP_NET_ADMIN");
    }

    @Test
    void shouldNameMissingDisk() {
        assertOneLineError(VireoProcess.run("run", "--disk", "/nonexistent/d.img"), 2, "--disk", "/nonexistent/d.img",
            "no such file");
    }

    @Test
    void shouldRefuseDirectoryAsDisk(@TempDir Path dir) {
        assertOneLineError(VireoProcess.run("run", "--disk", dir.toString()), 2, "--disk", "is a directory");
    }

    @Test
    void shouldRefuseDiskSmallerThanOneSector(@TempDir Path dir) throws IOException {
        Path d = Files.write(dir.resolve("tiny.img"), new byte[100]);
        assertOneLineError(VireoProcess.run("run", "--disk", d.toString()), 2, "100 bytes",
            "smaller than one 512-byte sector");
    }

    @Test
    void shouldRefuseSameFileTwiceReadWrite(@TempDir Path dir) throws IOException {
        Path d = Files.write(dir.resolve("d.img"), new byte[4096]);
        assertOneLineError(VireoProcess.run("run", "--disk", d.toString(), "--disk", d + ",serial=B"), 2,
            "the same file as --disk");
    }

    @Test
    void shouldRefuseUnknownDiskOption(@TempDir Path dir) throws IOException {
        Path d = Files.write(dir.resolve("d.img"), new byte[4096]);
        assertOneLineError(VireoProcess.run("run", "--disk", d + ",cache=none"), 2, "unknown option 'cache'");
    }

    @Test
    void shouldRefuseStatsJsonInAMissingDirectory() {
        assertOneLineError(VireoProcess.run("run", "--stats-json", "/nonexistent/dir/stats.json"), 2,
            "--stats-json", "/nonexistent/dir/stats.json", "does not exist");
    }

    @Test
    void shouldRefuseStatsJsonThatIsADirectory(@TempDir Path dir) {
        assertOneLineError(VireoProcess.run("run", "--stats-json", dir.toString()), 2, "--stats-json",
            "is a directory");
    }

    @Test
    void shouldRefuseStatsJsonWithoutAValue() {
        assertOneLineError(VireoProcess.run("run", "--stats-json"), 2, "--stats-json needs a value");
    }
}
