package io.vireo.vmm.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

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
        NestedLab.needLab();
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

    /**
     * One boot, two disks (each lab run costs a minute and some risk of TCG's own failures): Linux's driver reads the
     * read-only one whole, with its serial number, and a write it fsyncs to the other is in the host file after.
     */
    @Test
    void shouldReadOneDiskWithItsSerialAndKeepAFsyncedWriteToAnother(TestReporter reporter) throws IOException {
        Path w = Files.write(labDir.resolve("write.img"), new byte[4 << 20]);
        VireoProcess.Result r = NestedLab.lab(reporter, "--disk", disk + ",readonly=on,serial=VIREOLAB1",
            "--disk", w.toString(), "--", "sh", "-c", "sha256sum /dev/vda; cat /sys/block/vda/serial; echo;"
                + " printf 'vireo-was-here' > /tmp/m && dd if=/tmp/m of=/dev/vdb bs=512 seek=8 conv=fsync,sync 2>&1");
        assertEquals(0, r.status(), () -> NestedLab.show(r));
        assertTrue(r.stdout().contains(diskSha256 + "  /dev/vda"), () -> NestedLab.show(r));
        assertTrue(r.stdout().contains("VIREOLAB1"), () -> NestedLab.show(r));
        byte[] sector = Arrays.copyOfRange(Files.readAllBytes(w), 8 * 512, 9 * 512);
        byte[] expected = new byte[512];
        System.arraycopy("vireo-was-here".getBytes(), 0, expected, 0, 14);
        assertArrayEquals(expected, sector);
    }

    @Test
    void shouldReadTheSameThroughTheLegacyInterface(TestReporter reporter) {
        VireoProcess.Result r = NestedLab.lab(reporter, "--disk", disk + ",readonly=on", "--cmdline",
            "virtio_pci.force_legacy=1", "--", "sha256sum", "/dev/vda");
        assertEquals(0, r.status(), () -> NestedLab.show(r));
        assertTrue(r.stdout().contains(diskSha256 + "  /dev/vda"), () -> NestedLab.show(r));
    }

    /**
     * 300 disks: 248 on segment 0 (the first 128 transitional, the rest modern-only: the I/O window is full), 52 on
     * segment 1, which Linux finds through the MCFG and the second host bridge. With MSI-X, Linux runs out of
     * interrupt vectors long before that (each virtio disk reserves a vector on every CPU of its affinity: ~100 disks
     * per vCPU here, then probes fail with ENOSPC, and the IOAPIC pins of the INTx fallback find no vector left
     * either), so the guest runs with pci=nomsi: every disk on INTA#, eight shared IOAPIC pins (_PRT).
     */
    @Test
    void shouldShowThreeHundredDisksOnTwoSegmentsToLinux(TestReporter reporter) throws IOException {
        List<String> args = new ArrayList<>(List.of("--io-threads", "shared", "--cmdline", "pci=nomsi"));
        for (int i = 0; i < 300; i++) {
            Path d = Files.write(labDir.resolve("many" + i + ".img"), new byte[64 << 10]);
            args.addAll(List.of("--disk", d + ",readonly=on"));
        }
        args.addAll(List.of("--", "sh", "-c", "echo disks=$(ls /sys/block | grep -c '^vd');"
            + " echo segment1=$(ls /sys/bus/pci/devices | grep -c '^0001:00:');"
            + " echo last=$(od -An -tx1 -N4 /dev/vdkn | tr -d ' ')"));
        VireoProcess.Result r = NestedLab.lab(reporter, args.toArray(String[]::new));
        assertEquals(0, r.status(), () -> NestedLab.show(r));
        assertTrue(r.stdout().contains("disks=300"), () -> NestedLab.show(r));
        assertTrue(r.stdout().contains("segment1=53"), () -> "host bridge + 52 disks\n" + NestedLab.show(r));
        assertTrue(r.stdout().contains("last=00000000"), () -> "the last disk reads\n" + NestedLab.show(r));
    }

    /** The per-queue line of --verbose: {@code qN requests=R interrupts=I ...}. */
    static long queueCounter(VireoProcess.Result r, int q, String counter) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("q" + q + " [^;\\n]*\\b" + counter + "=(\\d+)")
            .matcher(r.stderr());
        assertTrue(m.find(), () -> "q" + q + " " + counter + " in " + NestedLab.show(r));
        return Long.parseLong(m.group(1));
    }

    /** The guest's {@code /proc/interrupts} line for {@code name}, summed over its CPUs. */
    static long guestInterrupts(VireoProcess.Result r, String name) {
        String line = r.stdout().lines().filter(l -> l.trim().endsWith(" " + name)).findFirst()
            .orElseThrow(() -> new AssertionError(name + " not in /proc/interrupts:\n" + NestedLab.show(r)));
        long sum = 0;
        String[] words = line.trim().split("\\s+");
        for (int i = 1; i < words.length && words[i].matches("\\d+"); i++) {
            sum += Long.parseLong(words[i]);
        }
        return sum;
    }

    @Test
    void shouldPassFioVerifyWithTwoVcpusOnTwoQueues(TestReporter reporter) throws IOException {
        Path f = labDir.resolve("fio.img");
        try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(0);
            ch.write(java.nio.ByteBuffer.allocate(1), (64 << 20) - 1);
        }
        // Two fio jobs, one pinned to each vCPU, each on its own 8 MiB: Linux maps a CPU to its queue.
        VireoProcess.Result r = NestedLab.lab(reporter, "--cpus", "2", "--verbose", "--disk", f + ",queues=2", "--",
            "sh", "-c", "fio --name=v --filename=/dev/vda --rw=randwrite --bs=4k --iodepth=16 --ioengine=libaio"
                + " --direct=1 --verify=crc32c --size=8M --offset_increment=8M --numjobs=2 --cpus_allowed=0-1"
                + " --cpus_allowed_policy=split --group_reporting 2>&1; s=$?; cat /proc/interrupts; exit $s");
        assertEquals(0, r.status(), () -> NestedLab.show(r));
        assertTrue(r.stdout().contains("err= 0"), () -> NestedLab.show(r));
        assertTrue(!r.stdout().contains("verify:") || !r.stdout().contains("bad"), () -> NestedLab.show(r));
        assertTrue(r.stdout().contains("2/0/0 default/read/poll queues"), () -> NestedLab.show(r));
        for (int q = 0; q < 2; q++) {
            long requests = queueCounter(r, q, "requests");
            assertTrue(requests >= 2048 * 2, "queue " + q + " served both phases of one job: " + requests);
            // At most one interrupt per batch, counted where it lands: Linux's own count for the queue's vector.
            long received = guestInterrupts(r, "virtio0-req." + q);
            assertTrue(received > 0 && received <= queueCounter(r, q, "batches"), "queue " + q + ": Linux took "
                + received + " interrupts\n" + NestedLab.show(r));
        }
    }

    @Test
    void shouldServeLinuxPollQueuesWithoutInterrupts(TestReporter reporter) throws IOException {
        Path f = Files.write(labDir.resolve("poll.img"), new byte[16 << 20]);
        // virtio_blk.poll_queues=1 of 2: queue 1 is a poll queue (no callback, VRING_AVAIL_F_NO_INTERRUPT) that
        // fio's io_uring with hipri (IORING_SETUP_IOPOLL) completes on by polling.
        VireoProcess.Result r = NestedLab.lab(reporter, "--cpus", "2", "--verbose", "--disk", f + ",queues=2",
            "--cmdline", "virtio_blk.poll_queues=1", "--", "sh", "-c", "fio --name=p --filename=/dev/vda"
                + " --rw=randwrite --bs=4k --iodepth=4 --ioengine=io_uring --hipri --direct=1 --verify=crc32c"
                + " --size=4M 2>&1");
        assertEquals(0, r.status(), () -> NestedLab.show(r));
        assertTrue(r.stdout().contains("err= 0"), () -> NestedLab.show(r));
        assertTrue(r.stdout().contains("1/0/1 default/read/poll queues"), () -> NestedLab.show(r));
        assertTrue(queueCounter(r, 1, "requests") >= 2048, () -> "the poll queue served the I/O: " + NestedLab.show(r));
        // With EVENT_IDX, Linux "disables" a callback-less queue's interrupts by leaving used_event at 0
        // (virtqueue_disable_cb_split): honoured exactly, that asks for one interrupt when used idx passes 0, i.e.
        // the first completion, and then none for the next 65535.
        assertTrue(queueCounter(r, 1, "interrupts") <= 1,
            () -> "no interrupts on the poll queue: " + NestedLab.show(r));
        assertTrue(queueCounter(r, 1, "interrupts_suppressed") >= 100, () -> NestedLab.show(r));
    }
}
