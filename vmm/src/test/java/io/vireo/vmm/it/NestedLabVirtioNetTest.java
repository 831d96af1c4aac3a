package io.vireo.vmm.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debian's own virtio_net driver against Vireo's virtio-net over a tap, in the nested lab: L1 makes a multi-queue tap
 * with an address, runs an iperf3 server and a file server, and starts Vireo with a 2-vCPU Linux guest on
 * {@code --net tap=vt0,queues=2}. The guest pings L1, runs iperf3 both ways, and moves 100 MiB each way with the
 * sha256 checked on both ends; Vireo's per-pair counters show both pairs carrying frames, and frames with segmentation
 * offload (larger than the 1500-byte MTU) crossing the tap both ways. All addresses exist only inside the lab VM.
 * About three minutes.
 */
class NestedLabVirtioNetTest {
    private static final int BLOB_BYTES = 100 << 20;

    /** L1's side: the tap, iperf3 (taken from the guest image, which has it), the file server, then Vireo. */
    private static final String L1_SCRIPT = String.join("\n",
        "R=$PWD; G=/tmp/l1net; mkdir -p $G",
        "(cd $G && zcat \"$R/.cache/linux-guest/initramfs.cpio.gz\" | cpio -id --quiet usr/bin/iperf3"
            + " 'usr/lib/x86_64-linux-gnu/libiperf.so*' 'usr/lib/x86_64-linux-gnu/libsctp.so*') || exit 3",
        "iperf() { LD_LIBRARY_PATH=$G/usr/lib/x86_64-linux-gnu $G/usr/bin/iperf3 \"$@\"; }",
        "ip tuntap add vt0 mode tap multi_queue || exit 3",
        "ip addr add 10.0.2.1/24 dev vt0 && ip link set vt0 up || exit 3",
        "iperf -s -D -B 10.0.2.1 || exit 3",
        "head -c " + BLOB_BYTES + " /dev/urandom > /tmp/blob",
        "echo \"l1-blob $(sha256sum < /tmp/blob | cut -d' ' -f1)\"",
        "python3 -c '" + String.join("\n",
            "import socket, hashlib",
            "n = " + BLOB_BYTES,
            "down = socket.create_server((\"10.0.2.1\", 5001)); up = socket.create_server((\"10.0.2.1\", 5002))",
            "down.settimeout(400); up.settimeout(400)",
            "c, _ = down.accept(); c.sendall(open(\"/tmp/blob\", \"rb\").read()); c.close()",
            "c, _ = up.accept(); h = hashlib.sha256(); got = 0",
            "while got < n:",
            "    d = c.recv(1 << 20)",
            "    if not d: break",
            "    h.update(d); got += len(d)",
            "print(\"l1-up\", got, h.hexdigest(), flush=True)") + "' > /tmp/files.out 2>&1 &",
        "./vireo run --guest linux --cpus 2 --verbose --net tap=vt0,queues=2 --cmdline vireo.ip=10.0.2.2/24 -- sh -c"
            + " \"$GUEST\"",
        "rc=$?",
        "sleep 1; kill %1 2>/dev/null; wait",
        "cat /tmp/files.out",
        "exit $rc");

    /** The guest's side (busybox sh). */
    private static final String GUEST_SCRIPT = String.join("\n",
        "ping -c 3 -W 5 10.0.2.1 && echo GUEST-PING-OK",
        "iperf3 -c 10.0.2.1 -t 4 -P 4 -f m 2>&1 | grep SUM | sed 's/^/guest-tx /'",
        "iperf3 -c 10.0.2.1 -t 4 -P 8 -R -f m 2>&1 | grep SUM | sed 's/^/guest-rx /'",
        "echo \"guest-down $(nc 10.0.2.1 5001 </dev/null | sha256sum | cut -d' ' -f1)\"",
        "head -c " + BLOB_BYTES + " /dev/urandom > /tmp/up",
        "echo \"guest-up $(sha256sum < /tmp/up | cut -d' ' -f1)\"",
        "nc 10.0.2.1 5002 < /tmp/up",
        "grep virtio /proc/interrupts");

    @Test
    void shouldCarryLinuxTrafficThroughAMultiQueueTapWithOffloads(TestReporter reporter) {
        NestedLab.needLab();
        NestedLab.Run run = NestedLab.run(reporter, List.of("bash", "-c", L1_SCRIPT), 600,
            Map.of("GUEST", GUEST_SCRIPT));
        VireoProcess.Result r = run.result();
        String out = r.stdout();
        assertEquals(0, r.status(), () -> NestedLab.show(r));
        assertTrue(out.contains("GUEST-PING-OK"), () -> "ping answered\n" + NestedLab.show(r));
        String blob = word(r, "l1-blob ([0-9a-f]{64})");
        assertEquals(blob, word(r, "guest-down ([0-9a-f]{64})"), "100 MiB L1 -> guest");
        assertEquals(word(r, "guest-up ([0-9a-f]{64})"), word(r, "l1-up " + BLOB_BYTES + " ([0-9a-f]{64})"),
            "100 MiB guest -> L1");
        String tx = word(r, "guest-tx .*?([0-9.]+) Mbits/sec.*receiver");
        String rx = word(r, "guest-rx .*?([0-9.]+) Mbits/sec.*receiver");
        reporter.publishEntry("iperf3 Mbit/s (nested lab, TCG)", "guest->L1 " + tx + ", L1->guest " + rx);
        System.out.println("iperf3 in the nested lab: guest->L1 " + tx + " Mbit/s, L1->guest " + rx + " Mbit/s");
        r.stderr().lines().filter(l -> l.contains("virtio-net net0")).forEach(System.out::println);
        for (String pair : List.of("q0-1", "q2-3")) {
            long rxFrames = counter(r, pair, "rx_frames");
            long txFrames = counter(r, pair, "tx_frames");
            assertTrue(rxFrames > 100 && txFrames > 100, () -> pair + " carried traffic both ways\n"
                + NestedLab.show(r));
        }
        long txGso = counter(r, "q0-1", "tx_gso_frames") + counter(r, "q2-3", "tx_gso_frames");
        long rxGso = counter(r, "q0-1", "rx_gso_frames") + counter(r, "q2-3", "rx_gso_frames");
        assertTrue(txGso > 0 && rxGso > 0, () -> "segments larger than the MTU crossed the tap both ways: tx "
            + txGso + ", rx " + rxGso + "\n" + NestedLab.show(r));
    }

    private static String word(VireoProcess.Result r, String regex) {
        Matcher m = Pattern.compile(regex).matcher(r.stdout());
        assertTrue(m.find(), () -> "'" + regex + "' in\n" + NestedLab.show(r));
        return m.group(1);
    }

    /** A counter of the {@code --verbose} queue line: {@code q0-1 rx_frames=N ...}. */
    private static long counter(VireoProcess.Result r, String queues, String name) {
        Matcher m = Pattern.compile(Pattern.quote(queues) + " [^;\\n]*\\b" + name + "=(\\d+)").matcher(r.stderr());
        assertTrue(m.find(), () -> queues + " " + name + " in\n" + NestedLab.show(r));
        return Long.parseLong(m.group(1));
    }
}
