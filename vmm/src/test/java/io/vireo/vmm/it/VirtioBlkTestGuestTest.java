package io.vireo.vmm.it;

import io.vireo.vmm.cli.TestGuestImage;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The test guest's virtio-pci + virtio-blk driver against Vireo's disks (and the same binary against QEMU's). */
class VirtioBlkTestGuestTest {
    static final Pattern NO_USERSPACE_NOTIFY =
        Pattern.compile("virtio-blk disk0 \\(.*\\): notifies that exited to user space=0\n");

    @TempDir
    static Path dir;
    static Path disk;
    static String diskSha256;

    @BeforeAll
    static void randomDisk() throws IOException, NoSuchAlgorithmException {
        assumeTrue(VireoProcess.kvmAccessible(), "skipped: /dev/kvm is missing or not read/write for this user");
        byte[] bytes = new byte[64 << 20];
        new Random(4242).nextBytes(bytes);
        disk = Files.write(dir.resolve("random64.img"), bytes);
        diskSha256 = sha256(bytes);
    }

    static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    static String field(VireoProcess.Result r, String regex) {
        Matcher m = Pattern.compile(regex).matcher(r.stdout());
        assertTrue(m.find(), () -> regex + " in:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        return m.group(1);
    }

    @Test
    void shouldReadA64MibDiskWhoseSha256EqualsTheHostFile() {
        // poll-us=0: no polling, the agent sleeps after each batch, so the guest kicks (nearly) every request.
        VireoProcess.Result r = VireoProcess.run("run", "--verbose", "--disk", disk + ",poll-us=0", "--cmdline",
            "blk=sha256");
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        assertEquals(diskSha256, field(r, "blk: sha256=([0-9a-f]{64}) bytes=67108864"));
        assertTrue(r.stdout().contains("1af4:1001 class 018000"), "a transitional virtio-blk function: " + r.stdout());
        // 1024 requests of 64 KiB, each kicked: every kick hit the queue's ioeventfd, none exited.
        assertTrue(Integer.parseInt(field(r, "blk: read .* kicks=(\\d+)")) > 500, r.stdout());
        assertTrue(NO_USERSPACE_NOTIFY.matcher(r.stderr()).find(), r.stderr());
    }

    @Test
    void shouldReadTheSameThroughTheLegacyInterface() {
        VireoProcess.Result r = VireoProcess.run("run", "--verbose", "--disk", disk.toString(), "--cmdline",
            "blk=sha256 virtio=legacy");
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        assertEquals(diskSha256, field(r, "blk: sha256=([0-9a-f]{64})"));
        assertTrue(NO_USERSPACE_NOTIFY.matcher(r.stderr()).find(),
            "legacy QUEUE_NOTIFY is a PIO ioeventfd too: " + r.stderr());
    }

    @Test
    void shouldCompleteThroughMsixInterruptsWhenTheDriverAsksForThem() {
        VireoProcess.Result r = VireoProcess.run("run", "--disk", disk.toString(), "--cmdline", "blk=sha256 irq=1");
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        assertEquals(diskSha256, field(r, "blk: sha256=([0-9a-f]{64})"));
        // Completions came by MSI-X (irqfd): at most one message per request at QD 1 (64 MiB in 64 KiB
        // requests); a message can land after the driver already saw the used ring, so a few merge.
        int irqs = Integer.parseInt(field(r, "blk: read .* irqs=(\\d+)"));
        assertTrue(irqs > 900 && irqs <= 1024, "irqs=" + irqs + "\n" + r.stdout());
    }

    @Test
    void shouldReturnTheSerialForGetId() {
        VireoProcess.Result r = VireoProcess.run("run", "--disk", disk + ",serial=VIREO-SER-1", "--cmdline", "blk=id");
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        assertEquals("VIREO-SER-1", field(r, "blk: id=(\\S+)"));
    }

    @Test
    void shouldLeaveGuestWritesInTheHostFileByteForByte() throws IOException {
        Path w = Files.copy(disk, dir.resolve("write.img"));
        byte[] before = Files.readAllBytes(w);
        VireoProcess.Result r = VireoProcess.run("run", "--disk", w.toString(), "--cmdline",
            "blk=write sector=100 count=300 pattern=0xab");
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        assertTrue(r.stdout().contains("status=0 (ok) flush=ok verify=ok"), r.stdout());
        byte[] after = Files.readAllBytes(w);
        byte[] expected = before.clone();
        Arrays.fill(expected, 100 * 512, 400 * 512, (byte) 0xab);
        assertArrayEquals(expected, after);
    }

    @Test
    void shouldRefuseWritesToAReadOnlyDiskAndLeaveItUnchanged() throws IOException {
        Path ro = Files.copy(disk, dir.resolve("ro.img"));
        VireoProcess.Result r = VireoProcess.run("run", "--disk", ro + ",readonly=on", "--cmdline",
            "blk=write sector=0 count=8 pattern=0xcd");
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        assertTrue(r.stdout().contains("ro=1"), "the driver saw VIRTIO_BLK_F_RO: " + r.stdout());
        assertTrue(r.stdout().contains("status=1 (ioerr)"), r.stdout());
        assertArrayEquals(Files.readAllBytes(disk), Files.readAllBytes(ro));
    }

    @Test
    void shouldFindSixtyFourDisksAndReadTheLastOne() throws Exception {
        List<String> args = new ArrayList<>(List.of("run"));
        List<byte[]> contents = new ArrayList<>();
        Random random = new Random(64);
        for (int i = 0; i < 64; i++) {
            byte[] b = new byte[64 << 10];
            random.nextBytes(b);
            contents.add(b);
            args.addAll(List.of("--disk", Files.write(dir.resolve("many" + i + ".img"), b) + ",serial=disk" + i));
        }
        List<String> list = new ArrayList<>(args);
        list.addAll(List.of("--cmdline", "blk=list"));
        VireoProcess.Result all = VireoProcess.run(list.toArray(String[]::new));
        assertEquals(0, all.status(), all.stdout() + all.stderr());
        assertEquals(64, all.stdout().lines().filter(l -> l.startsWith("blk: dev=")).count(), all.stdout());

        List<String> last = new ArrayList<>(args);
        last.addAll(List.of("--cmdline", "blk=id:last"));
        int index = Integer.parseInt(field(VireoProcess.run(last.toArray(String[]::new)), "blk: id=disk(\\d+)"));
        List<String> read = new ArrayList<>(args);
        read.addAll(List.of("--cmdline", "blk=sha256:last"));
        VireoProcess.Result r = VireoProcess.run(read.toArray(String[]::new));
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        assertEquals(sha256(contents.get(index)), field(r, "blk: sha256=([0-9a-f]{64})"));
    }

    @Test
    void shouldFindThreeHundredDisksAcrossTwoSegmentsAndReadTheLastOne() throws Exception {
        // 300 > 248 functions of segment 0: a second segment (its own host bridge and ECAM window in the MCFG)
        // comes by itself. Segment 0's 16 KiB I/O window holds 128 legacy I/O BARs of 128 bytes: the first 128 disks
        // are transitional, the rest modern-only, and every one works (the driver takes the modern interface).
        List<String> args = new ArrayList<>(List.of("run", "--io-threads", "shared"));
        List<byte[]> contents = new ArrayList<>();
        Random random = new Random(300);
        for (int i = 0; i < 300; i++) {
            byte[] b = new byte[4096];
            random.nextBytes(b);
            contents.add(b);
            args.addAll(List.of("--disk", Files.write(dir.resolve("seg" + i + ".img"), b) + ""));
        }
        List<String> list = new ArrayList<>(args);
        list.addAll(List.of("--cmdline", "blk=list"));
        VireoProcess.Result all = VireoProcess.run(list.toArray(String[]::new));
        assertEquals(0, all.status(), all.stdout() + all.stderr());
        assertTrue(all.stdout().contains("pci: segment 1 ecam base=0xe0100000 buses=0-0"), all.stdout());
        assertTrue(all.stdout().contains("pci: functions=302 segments=2"), all.stdout()); // + two host bridges
        assertEquals(300, all.stdout().lines().filter(l -> l.startsWith("blk: dev=")).count(), all.stdout());
        assertEquals(128, all.stdout().lines().filter(l -> l.matches("pci: 00:.* 1af4:1001 .*bar0=io:.*")).count(),
            "transitional, with an I/O BAR");
        assertEquals(172, all.stdout().lines().filter(l -> l.matches("pci: .* 1af4:1042 .*") && !l.contains("=io:"))
            .count(), "modern-only, no I/O BAR");
        assertEquals(52, all.stdout().lines().filter(l -> l.startsWith("blk: dev=0001:00:")).count());

        List<String> read = new ArrayList<>(args);
        read.addAll(List.of("--cmdline", "blk=sha256:last"));
        VireoProcess.Result r = VireoProcess.run(read.toArray(String[]::new));
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        // Functions fill function 0 of slots 1-31, then function 1 of each, ...: segment 1 holds disks 248-299, and
        // the last one a scan finds, 0001:00:1f.0, is function 0 of its slot 31: disk 248 + 30.
        assertEquals("0001:00:1f.0", field(r, "blk: sha256=[0-9a-f]{64} bytes=4096 dev=(\\S+)"));
        assertEquals(sha256(contents.get(278)), field(r, "blk: sha256=([0-9a-f]{64})"));
    }

    @Test
    void shouldGiveTheSameAnswerUnderQemu() {
        assumeTrue(Files.isExecutable(QemuTestGuestTest.QEMU), "skipped: no " + QemuTestGuestTest.QEMU);
        List<String> cmd = new ArrayList<>(QemuTestGuestTest.qemu("512M", 1, "blk=sha256"));
        cmd.addAll(List.of("-drive", "file=" + disk + ",if=none,id=d0,format=raw,readonly=on",
            "-device", "virtio-blk-pci,drive=d0,serial=QEMUSER"));
        VireoProcess.Result r = VireoProcess.exec(cmd, Map.of(), 120);
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        assertEquals(diskSha256, field(r, "blk: sha256=([0-9a-f]{64})"));
        assertTrue(TestGuestImage.path().toString().endsWith(".elf"));
    }
}
