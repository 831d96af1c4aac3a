package io.vireo.dataplane.vhostuser;

import io.vireo.dataplane.memory.MemfdGuestMemory;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.device.blk.BlkRequest;
import io.vireo.dataplane.virtio.queue.MockGuestDriver;
import io.vireo.sys.Errno;
import io.vireo.sys.Libc;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

import static io.vireo.dataplane.vhostuser.TestFrontEnd.payload;
import static io.vireo.dataplane.vhostuser.TestFrontEnd.state;
import static io.vireo.dataplane.vhostuser.TestFrontEnd.u64Payload;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The back end over a real socket: a well-behaved front end (memfd guest RAM, a ring laid out by the mock driver, an
 * eventfd kick and call) gets a GET_ID answered by the device's queue agent; each malformed message gets its refusal
 * and exactly one log line, and the server goes on serving a good front end after all of them.
 */
class VhostUserBackendServerTest {
    private static final long RAM = 1 << 20;
    private static final long UA = 0x7f00_0000_0000L;
    private static final long RING_GPA = 0x10000;
    private static final int QSIZE = 16;

    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private TestBlkServer fixture;
    private VhostUserBackendServer server;
    private Path socket;

    @BeforeEach
    void start(@TempDir Path dir) {
        socket = dir.resolve("vhu.sock");
        Consumer<String> log = lines::add;
        fixture = new TestBlkServer(socket, log);
        server = fixture.server;
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    private List<String> refusals() {
        synchronized (lines) {
            return lines.stream().filter(l -> l.startsWith("vhost-user: refused")).toList();
        }
    }

    private boolean noneGone() {
        synchronized (lines) { // the server's session threads log into it meanwhile
            return lines.stream().noneMatch(l -> l.contains("gone"));
        }
    }

    private void waitForSessions(long n) throws InterruptedException {
        // A session counts once accepted; its refusals are logged before the next accept.
        for (int i = 0; i < 500 && (server.sessions() < n || noneGone()); i++) {
            Thread.sleep(10);
        }
    }

    /** GET_FEATURES, SET_FEATURES, protocol features with REPLY_ACK, SET_OWNER. */
    static void handshake(TestFrontEnd fe) {
        fe.send(GET_FEATURES, false, null);
        long offered = fe.u64(GET_FEATURES);
        assertTrue((offered & F_PROTOCOL_FEATURES) != 0);
        fe.send(GET_PROTOCOL_FEATURES, false, null);
        long proto = fe.u64(GET_PROTOCOL_FEATURES);
        assertEquals(PROTOCOL_F_MQ | PROTOCOL_F_REPLY_ACK | PROTOCOL_F_CONFIG | PROTOCOL_F_CONFIGURE_MEM_SLOTS, proto);
        fe.send(SET_PROTOCOL_FEATURES, false, u64Payload(PROTOCOL_F_REPLY_ACK | PROTOCOL_F_MQ | PROTOCOL_F_CONFIG));
        assertEquals(0, fe.call(SET_FEATURES, u64Payload(VirtioFeatures.VERSION_1 | F_PROTOCOL_FEATURES)));
        assertEquals(0, fe.call(SET_OWNER, null));
    }

    private static ByteBuffer region(ByteBuffer b, long gpa, long size, long ua, long offset) {
        return b.putLong(gpa).putLong(size).putLong(ua).putLong(offset);
    }

    private static ByteBuffer vringAddr(int index, long desc, long used, long avail) {
        return payload(VRING_ADDR_SIZE).putInt(index).putInt(0).putLong(desc).putLong(used).putLong(avail)
            .putLong(0);
    }

    @Test
    void shouldAnswerGetIdThroughTheAgentAndReturnTheRingIndexWhenAWellBehavedFrontEndDrivesAQueue() {
        serveGoodFrontEnd(socket);
        assertEquals(List.of(), refusals());
    }

    /** A well-behaved front end drives queue 0 through a GET_ID (also used by {@link VhostUserFuzzTest}). */
    static void serveGoodFrontEnd(Path socket) {
        int kick = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        int call = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        try (MemfdGuestMemory ram = MemfdGuestMemory.allocate(RAM); TestFrontEnd fe = new TestFrontEnd(socket)) {
            handshake(fe);
            fe.send(GET_QUEUE_NUM, false, null);
            assertEquals(2, fe.u64(GET_QUEUE_NUM));
            fe.send(GET_CONFIG, false, payload(12 + 8).putInt(0).putInt(8).putInt(0));
            ByteBuffer cfg = fe.reply(GET_CONFIG);
            assertEquals(20, cfg.capacity());
            assertEquals((1 << 20) >> 9, cfg.getLong(12), "capacity in sectors");
            assertEquals(0, fe.call(SET_MEM_TABLE, region(payload(8 + 32).putInt(1).putInt(0), 0, RAM, UA, 0),
                ram.memfd()));
            MockGuestDriver driver = MockGuestDriver.linux(ram, RING_GPA, QSIZE);
            assertEquals(0, fe.call(SET_VRING_NUM, state(0, QSIZE)));
            assertEquals(0, fe.call(SET_VRING_BASE, state(0, 0)));
            assertEquals(0, fe.call(SET_VRING_ADDR, vringAddr(0, UA + driver.descGpa(), UA + driver.usedGpa(),
                UA + driver.availGpa())));
            assertEquals(0, fe.call(SET_VRING_CALL, u64Payload(0), call));
            assertEquals(0, fe.call(SET_VRING_KICK, u64Payload(0), kick));
            assertEquals(0, fe.call(SET_VRING_ENABLE, state(0, 1)));

            long hdr = 0x20000;
            long id = 0x21000;
            long status = 0x22000;
            ram.slice(hdr, 16).set(ValueLayout.JAVA_INT_UNALIGNED, 0, BlkRequest.T_GET_ID);
            ram.slice(status, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0x7f);
            driver.addChain(List.of(MockGuestDriver.Buf.readable(hdr, 16), MockGuestDriver.Buf.writable(id, 20),
                MockGuestDriver.Buf.writable(status, 1)));
            driver.kick(false);
            MemorySegment one = MemorySegment.ofArray(new long[] {1});
            MemorySegment n = java.lang.foreign.Arena.ofAuto().allocate(8, 8);
            n.copyFrom(one);
            Libc.write(kick, n, 8);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (driver.usedIdxAcquire() == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            MockGuestDriver.UsedElem e = driver.takeUsed();
            assertEquals(21, e.len());
            assertEquals(0, ram.slice(status, 1).get(ValueLayout.JAVA_BYTE, 0));
            byte[] want = "vhost-test".getBytes(StandardCharsets.US_ASCII);
            assertArrayEquals(want, ram.slice(id, want.length).toArray(ValueLayout.JAVA_BYTE));
            // The interrupt was one write to the call eventfd. It follows the used index the agent published, so it
            // may land a moment after the loop above saw that index (the fuzz suite caught the race).
            long got = Libc.readRaw(call, n, 8);
            while (got == -Errno.EAGAIN && System.nanoTime() < deadline) {
                Thread.onSpinWait();
                got = Libc.readRaw(call, n, 8);
            }
            assertEquals(8, got);
            fe.send(GET_VRING_BASE, false, state(0, 0));
            ByteBuffer base = fe.reply(GET_VRING_BASE);
            assertEquals(0, base.getInt());
            assertEquals(1, base.getInt());
        } finally {
            Libc.closeQuietly(kick);
            Libc.closeQuietly(call);
        }
    }

    /** One malformed message on a fresh, REPLY_ACK-negotiated connection: refused (nack or closed), one log line. */
    private void refuseOnce(String expectLine, Consumer<TestFrontEnd> hostile, boolean nack) {
        int before = refusals().size();
        try (TestFrontEnd fe = new TestFrontEnd(socket)) {
            handshake(fe);
            hostile.accept(fe);
            if (!nack) {
                assertTrue(fe.closedByPeer(), "the back end closes the session");
            }
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (refusals().size() == before && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        List<String> now = refusals();
        assertEquals(before + 1, now.size(), () -> "one refusal line for " + expectLine + ": " + now);
        assertTrue(now.get(now.size() - 1).contains(expectLine), () -> now.get(now.size() - 1));
    }

    @Test
    void shouldRefuseEachMalformedMessageWithOneLogLineAndServeAGoodFrontEndAfterwards() throws Exception {
        // Short header: 5 bytes, then the front end stops writing.
        int before = refusals().size();
        try (TestFrontEnd fe = new TestFrontEnd(socket)) {
            fe.sendRaw(new byte[] {1, 0, 0, 0, 1}, new int[0]);
            fe.shutdownWrite();
            assertTrue(fe.closedByPeer());
        }
        waitForSessions(1);
        assertEquals(before + 1, refusals().size(), () -> refusals().toString());
        assertTrue(refusals().get(0).contains("short header: 5 of 12 bytes"), refusals().get(0));

        refuseOnce("SET_VRING_NUM: payload of 4 bytes, expected 8",
            fe -> assertEquals(1, fe.call(SET_VRING_NUM, payload(4).putInt(0))), true);
        int[] many = new int[9];
        for (int i = 0; i < many.length; i++) {
            many[i] = Libc.eventfd(0, Libc.EFD_CLOEXEC);
        }
        try {
            refuseOnce("too many fds", fe -> assertEquals(1, fe.call(SET_VRING_CALL, u64Payload(0), many)), true);
        } finally {
            for (int fd : many) {
                Libc.closeQuietly(fd);
            }
        }
        try (MemfdGuestMemory ram = MemfdGuestMemory.allocate(RAM)) {
            refuseOnce("overlapping regions", fe -> assertEquals(1, fe.call(SET_MEM_TABLE,
                region(region(payload(8 + 64).putInt(2).putInt(0), 0, RAM, UA, 0), RAM / 2, RAM / 2, UA + RAM, 0),
                ram.memfd(), ram.memfd())), true);
            refuseOnce("outside every memory region", fe -> {
                assertEquals(0, fe.call(SET_MEM_TABLE, region(payload(8 + 32).putInt(1).putInt(0), 0, RAM, UA, 0),
                    ram.memfd()));
                assertEquals(1, fe.call(SET_VRING_ADDR, vringAddr(0, UA + RAM, UA + RING_GPA + 4096,
                    UA + RING_GPA)));
            }, true);
        }
        refuseOnce("vring index 7 out of range", fe -> assertEquals(1, fe.call(SET_VRING_NUM, state(7, 16))), true);
        refuseOnce("request 99: unknown", fe -> assertEquals(1, fe.call(99, null)), true);
        // A request whose reply is mandatory cannot be nacked: the session is closed instead.
        refuseOnce("GET_VRING_BASE: vring index 9 out of range", fe -> fe.send(GET_VRING_BASE, false,
            state(9, 0)), false);

        serveGoodFrontEnd(socket);
        assertEquals(8, refusals().size(), () -> String.join("\n", refusals()));
        assertNotEquals(0, server.sessions());
    }
}
