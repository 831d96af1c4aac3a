package io.vireo.vmm.it;

import io.vireo.vmm.cli.TestGuestImage;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.vireo.vmm.it.DataPlaneTestGuestTest.num;
import static io.vireo.vmm.it.DataPlaneTestGuestTest.result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The test guest's virtio-net driver on QEMU's {@code virtio-net-pci} with a tap in a network namespace of the test's
 * own (the namespace's kernel is the peer): the same binary and checks as on Vireo ({@code VirtioNetTestGuestTest}).
 */
class QemuVirtioNetTest {
    static final String TAP = "vtap0";
    static final String HOST = "10.77.0.1/24";

    @BeforeAll
    static void needQemuKvmAndRoot() {
        assumeTrue(VireoProcess.kvmAccessible(), "skipped: /dev/kvm is missing or not read/write for this user");
        assumeTrue(Files.isExecutable(QemuTestGuestTest.QEMU), "skipped: " + QemuTestGuestTest.QEMU
            + " is not installed (apt-get install qemu-system-x86; scripts/setup installs it)");
        String why = NetNamespace.unavailable();
        assumeTrue(why == null, why);
    }

    /** QEMU with the test guest and virtio-net-pci on the namespace's tap (qboot when installed: it boots faster). */
    static List<String> qemu(NetNamespace ns, String cmdline) {
        List<String> cmd = new ArrayList<>(List.of(QemuTestGuestTest.QEMU.toString(), "-enable-kvm", "-cpu",
            "host,-arch-capabilities", "-m", "512M", "-smp", "1", "-nographic", "-no-reboot", "-nodefaults",
            "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-netdev", "tap,id=n0,ifname=" + TAP + ",script=no,downscript=no",
            "-device", "virtio-net-pci,netdev=n0,romfile=", "-kernel", TestGuestImage.path().toString(),
            "-append", cmdline));
        Path qboot = Path.of("/usr/share/qemu/qboot.rom");
        if (Files.isRegularFile(qboot)) {
            cmd.addAll(1, List.of("-bios", qboot.toString()));
        }
        return ns.command(cmd);
    }

    @Test
    void shouldGetEveryPingAnsweredByTheHostThroughQemusTap() {
        try (NetNamespace ns = NetNamespace.create(TAP, HOST)) {
            assertPingsAnswered(VireoProcess.exec(qemu(ns, "net=ping count=3"), Map.of(), 120), 3);
        }
    }

    /** The guest found the host by ARP and every one of its pings came back. */
    static void assertPingsAnswered(VireoProcess.Result r, long pings) {
        assertEquals(0, r.status(), () -> r.stdout() + r.stderr());
        assertTrue(r.stdout().contains("net: arp peer=10.77.0.1 mac="), r.stdout());
        Map<String, Object> res = result(r);
        assertEquals(pings, num(res, "packets"), res::toString);
        assertEquals(0, num(res, "lost"), res::toString);
    }

    @Test
    void shouldCarryAHundredThousandEchoesUnharmedThroughQemusTap() {
        try (NetNamespace ns = NetNamespace.create(TAP, HOST)) {
            VireoProcess.Result r = VireoProcess.exec(qemu(ns, "net=rr qd=8 ios=100000 warmup=2000 seed=5"),
                Map.of(), 120);
            assertIntact(r, 100000);
        }
    }

    /** Every request answered once, every byte as sent. */
    static Map<String, Object> assertIntact(VireoProcess.Result r, long packets) {
        assertEquals(0, r.status(), () -> r.stdout() + r.stderr());
        Map<String, Object> res = result(r);
        assertEquals(packets, num(res, "sent"), res::toString);
        assertEquals(packets, num(res, "packets"), res::toString);
        assertEquals(0, num(res, "lost"), res::toString);
        assertEquals(0, num(res, "corrupt"), res::toString);
        assertEquals(0, num(res, "unexpected"), res::toString);
        assertTrue(num(res, "pps") > 0, res::toString);
        return res;
    }
}
