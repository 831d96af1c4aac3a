package io.vireo.dataplane.vhostuser;

import static io.vireo.dataplane.vhostuser.VhostUserLayout.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vireo.dataplane.memory.MemfdGuestMemory;
import io.vireo.dataplane.virtio.VirtioFeatures;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front end against a scripted back end that answers whatever a test tells it to: every reply that is not exactly
 * what was asked for (request, flags, size, fds, index), a feature missing, an ack with an error, or no answer at all,
 * is a {@link VhostUserPeerException} with one line, and the device is not built.
 */
class VhostUserFrontEndTest {
    static final long FEATURES = F_PROTOCOL_FEATURES | VirtioFeatures.VERSION_1 | VirtioFeatures.RING_EVENT_IDX
        | VirtioFeatures.RING_PACKED | VirtioFeatures.ACCESS_PLATFORM | (1L << 26) | (1L << 9);

    /** What the scripted back end answers to one request: the whole reply (header included) or null for none. */
    interface Answer {
        ByteBuffer reply(int request, int flags, ByteBuffer payload);
    }

    @TempDir
    Path dir;
    Path socket;
    ServerSocketChannel server;
    Thread thread;
    volatile Answer answer;
    volatile SocketChannel current;
    final List<Integer> seen = new CopyOnWriteArrayList<>();
    MemfdGuestMemory ram;

    @BeforeEach
    void listen() throws IOException {
        socket = dir.resolve("be.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        thread = Thread.ofPlatform().daemon().start(this::serve);
        ram = MemfdGuestMemory.allocate(1 << 20);
    }

    @AfterEach
    void stop() throws Exception {
        hangUp();
        thread.join(5000);
        ram.close();
        Files.deleteIfExists(socket);
    }

    private void hangUp() throws IOException {
        server.close();
        SocketChannel c = current;
        if (c != null) {
            c.close();
        }
    }

    private void serve() {
        try {
            while (true) {
                try (SocketChannel c = server.accept()) {
                    current = c;
                    while (true) {
                        ByteBuffer h = read(c, HEADER_SIZE);
                        if (h == null) {
                            break;
                        }
                        int request = h.getInt();
                        int flags = h.getInt();
                        int size = h.getInt();
                        ByteBuffer p = size == 0 ? le(0) : read(c, size);
                        seen.add(request);
                        ByteBuffer r = answer.reply(request, flags, p);
                        if (r != null) {
                            r.flip();
                            while (r.hasRemaining()) {
                                c.write(r);
                            }
                        }
                    }
                } catch (IOException e) {
                    if (!server.isOpen()) {
                        return; // closed: the test is over
                    }
                    // the front end hung up: wait for the next
                }
            }
        } catch (Exception e) {
            // closed: the test is over
        }
    }

    private static ByteBuffer read(SocketChannel c, int n) throws IOException {
        ByteBuffer b = le(n);
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                return null;
            }
        }
        return b.flip();
    }

    static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    static ByteBuffer reply(int request, int flags, int size, ByteBuffer payload) {
        ByteBuffer b = le(HEADER_SIZE + (payload == null ? 0 : payload.capacity()));
        b.putInt(request).putInt(flags).putInt(size);
        if (payload != null) {
            b.put(payload.array());
        }
        return b;
    }

    static ByteBuffer u64(int request, long v) {
        return reply(request, VERSION | FLAG_REPLY, 8, le(8).putLong(0, v));
    }

    /** A well-behaved back end: blk-like, MQ with 2 queues, REPLY_ACK, CONFIG; acks every NEED_REPLY with 0. */
    ByteBuffer good(int request, int flags, ByteBuffer p) {
        return switch (request) {
            case GET_FEATURES -> u64(request, FEATURES);
            case GET_PROTOCOL_FEATURES -> u64(request, PROTOCOL_F_MQ | PROTOCOL_F_REPLY_ACK | PROTOCOL_F_CONFIG);
            case GET_QUEUE_NUM -> u64(request, 2);
            case GET_VRING_BASE -> reply(request, VERSION | FLAG_REPLY, 8, le(8).putInt(0, p.getInt(0)).putInt(4, 7));
            case GET_CONFIG -> {
                int size = p.getInt(4);
                ByteBuffer c = le(CONFIG_HEADER_SIZE + size);
                c.putInt(0, 0).putInt(4, size).put(CONFIG_HEADER_SIZE, (byte) 0x42);
                yield reply(request, VERSION | FLAG_REPLY, c.capacity(), c);
            }
            default -> (flags & FLAG_NEED_REPLY) != 0 ? u64(request, 0) : null;
        };
    }

    VhostUserDevice device(int queues, int configSize) {
        return new VhostUserDevice("t", socket, 2, queues, 256, configSize, null, ram, ram.memfd(), line -> { });
    }

    String refusal(int queues, int configSize) {
        return assertThrows(VhostUserPeerException.class, () -> device(queues, configSize)).getMessage();
    }

    @Test
    void shouldStripBitThirtyAndWhatCannotBePassedToTheGuestAndReadTheConfig() {
        answer = this::good;
        try (VhostUserDevice d = device(2, 60)) {
            assertEquals(VirtioFeatures.VERSION_1 | VirtioFeatures.RING_EVENT_IDX | (1L << 9), d.deviceFeatures());
            assertEquals(60, d.configSize());
            assertEquals(0x42, d.readConfig(0, 1));
            assertTrue(d.connected());
        }
        assertEquals(List.of(GET_FEATURES, GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, GET_QUEUE_NUM, SET_OWNER,
            GET_CONFIG), seen);
    }

    @Test
    void shouldRefuseAReplyToAnotherRequest() {
        answer = (r, f, p) -> r == GET_FEATURES ? u64(GET_PROTOCOL_FEATURES, FEATURES) : good(r, f, p);
        assertTrue(refusal(1, 0).endsWith("reply to GET_FEATURES is for GET_PROTOCOL_FEATURES"));
    }

    @Test
    void shouldRefuseReplyFlagsOtherThanVersionAndReply() {
        answer = (r, f, p) -> r == GET_FEATURES ? reply(r, VERSION | FLAG_REPLY | FLAG_NEED_REPLY, 8, le(8))
            : good(r, f, p);
        assertTrue(refusal(1, 0).endsWith("reply to GET_FEATURES has flags 0xd (not 0x5)"));
    }

    @Test
    void shouldRefuseAReplyOfTheWrongSize() {
        answer = (r, f, p) -> r == GET_FEATURES ? reply(r, VERSION | FLAG_REPLY, 4, le(4)) : good(r, f, p);
        assertTrue(refusal(1, 0).endsWith("reply to GET_FEATURES has 4 payload bytes, not 8"));
        answer = (r, f, p) -> r == GET_CONFIG ? reply(r, VERSION | FLAG_REPLY, 12, le(12)) : good(r, f, p);
        assertTrue(refusal(1, 60).endsWith("reply to GET_CONFIG has 12 payload bytes, not 72"));
    }

    @Test
    void shouldRefuseAConfigReplyForAnotherRange() {
        answer = (r, f, p) -> {
            if (r != GET_CONFIG) {
                return good(r, f, p);
            }
            ByteBuffer c = le(CONFIG_HEADER_SIZE + 60);
            c.putInt(0, 8).putInt(4, 60);
            return reply(r, VERSION | FLAG_REPLY, c.capacity(), c);
        };
        assertTrue(refusal(1, 60).endsWith("GET_CONFIG reply for offset 8, size 60 (asked for 0, 60)"));
    }

    @Test
    void shouldRefuseABackEndWithoutWhatTheDeviceNeeds() {
        answer = (r, f, p) -> r == GET_FEATURES ? u64(r, FEATURES & ~VirtioFeatures.VERSION_1) : good(r, f, p);
        assertTrue(refusal(1, 0).endsWith("the back end does not offer VIRTIO_F_VERSION_1"));
        answer = (r, f, p) -> r == GET_FEATURES ? u64(r, FEATURES & ~F_PROTOCOL_FEATURES) : good(r, f, p);
        assertTrue(refusal(1, 0).endsWith("does not offer VHOST_USER_F_PROTOCOL_FEATURES (bit 30)"));
        answer = (r, f, p) -> r == GET_PROTOCOL_FEATURES ? u64(r, PROTOCOL_F_MQ) : good(r, f, p);
        assertTrue(refusal(1, 60).contains("does not offer VHOST_USER_PROTOCOL_F_CONFIG"));
        answer = (r, f, p) -> r == GET_QUEUE_NUM ? u64(r, 1) : good(r, f, p);
        assertTrue(refusal(2, 0).endsWith("the back end has 1 queues, this device needs 2"));
    }

    @Test
    void shouldRefuseAFailedAck() {
        answer = (r, f, p) -> r == SET_OWNER ? u64(r, 1) : good(r, f, p);
        assertTrue(refusal(1, 0).endsWith("SET_OWNER refused (ack status 1)"));
    }

    @Test
    void shouldGiveUpOnABackEndThatDoesNotAnswer() {
        answer = (r, f, p) -> r == GET_QUEUE_NUM ? null : good(r, f, p);
        long t0 = System.nanoTime();
        assertTrue(refusal(2, 0).endsWith("no reply to GET_QUEUE_NUM within " + VhostUserFrontEnd.REPLY_TIMEOUT_MS
            + " ms"));
        assertTrue(System.nanoTime() - t0 >= VhostUserFrontEnd.REPLY_TIMEOUT_MS * 1_000_000L);
    }

    /** The transport's side of an interrupt: counts DEVICE_NEEDS_RESET. */
    static final class Interrupts implements io.vireo.dataplane.virtio.VirtioInterrupt {
        final List<String> needsReset = new CopyOnWriteArrayList<>();

        @Override
        public void signalUsed(int queue) {
        }

        @Override
        public void signalConfigChange() {
        }

        @Override
        public void needsReset(String why) {
            needsReset.add(why);
        }
    }

    /** Queue 0 enabled at the start of RAM, queue 1 left disabled by the driver. */
    io.vireo.dataplane.virtio.queue.SplitQueue[] rings() {
        var q0 = new io.vireo.dataplane.virtio.queue.SplitQueue(ram, 256);
        q0.setSize(64);
        q0.setDescTableGpa(0x1000);
        q0.setAvailRingGpa(0x2000);
        q0.setUsedRingGpa(0x3000);
        assertEquals(io.vireo.dataplane.virtio.queue.QueueError.OK, q0.enable());
        return new io.vireo.dataplane.virtio.queue.SplitQueue[] {q0, new io.vireo.dataplane.virtio.queue.SplitQueue(
            ram, 256)};
    }

    @Test
    void shouldStartTheEnabledRingsStopThemAtResetAndFollowTheirVectors() {
        answer = this::good;
        int[] call = {-1};
        Interrupts irq = new Interrupts();
        try (VhostUserDevice d = device(2, 0)) {
            d.callFds(q -> call[0]);
            seen.clear();
            d.activate(VirtioFeatures.VERSION_1, rings(), irq);
            assertEquals(List.of(SET_FEATURES, SET_MEM_TABLE, SET_VRING_NUM, SET_VRING_BASE, SET_VRING_ADDR,
                SET_VRING_CALL, SET_VRING_KICK, SET_VRING_ENABLE), seen);
            // The vector (masked at the start: the spare eventfd) becomes deliverable: queue 0 gets its irqfd.
            seen.clear();
            call[0] = d.kickFd(1);
            assertTrue(d.reroute().isEmpty(), "nothing waited in the spare eventfd");
            assertEquals(List.of(SET_VRING_CALL), seen);
            seen.clear();
            assertTrue(d.reroute().isEmpty());
            assertEquals(List.of(), seen, "an unchanged call fd is not sent again");
            d.reset();
            assertEquals(List.of(SET_VRING_ENABLE, GET_VRING_BASE), seen);
            assertEquals(List.of(), irq.needsReset);
        }
    }

    @Test
    void shouldNeedResetWhenTheBackEndRefusesAtStartAndComeBackAfterTheDriversReset() {
        answer = (r, f, p) -> r == SET_MEM_TABLE ? u64(r, 1) : good(r, f, p);
        List<String> lines = new ArrayList<>();
        Interrupts irq = new Interrupts();
        try (VhostUserDevice d = new VhostUserDevice("t", socket, 2, 2, 256, 0, null, ram, ram.memfd(),
            lines::add)) {
            d.activate(VirtioFeatures.VERSION_1, rings(), irq);
            assertEquals(1, irq.needsReset.size(), irq.needsReset.toString());
            assertTrue(lines.getFirst().endsWith("SET_MEM_TABLE refused (ack status 1); device needs reset"),
                lines.toString());
            assertFalse(d.connected());
            d.reset();
            answer = this::good;
            seen.clear();
            d.activate(VirtioFeatures.VERSION_1, rings(), irq);
            assertTrue(d.connected());
            assertEquals(1, irq.needsReset.size());
            assertEquals(GET_FEATURES, seen.getFirst(), "connected again");
            assertTrue(seen.contains(SET_VRING_ENABLE), seen.toString());
        }
    }

    @Test
    void shouldNeedResetWhenTheBackEndComesBackWithoutAFeatureTheDriverTook() {
        answer = this::good;
        Interrupts irq = new Interrupts();
        List<String> lines = new ArrayList<>();
        try (VhostUserDevice d = new VhostUserDevice("t", socket, 2, 2, 256, 0, null, ram, ram.memfd(),
            lines::add)) {
            d.activate(VirtioFeatures.VERSION_1 | VirtioFeatures.RING_EVENT_IDX, rings(), irq);
            answer = (r, f, p) -> r == SET_VRING_ENABLE && p.getInt(4) == 0 ? null : good(r, f, p);
            d.reset(); // no ack for SET_VRING_ENABLE(0): the connection is dropped after the timeout
            assertFalse(d.connected());
            answer = (r, f, p) -> r == GET_FEATURES ? u64(r, FEATURES & ~VirtioFeatures.RING_EVENT_IDX)
                : good(r, f, p);
            d.activate(VirtioFeatures.VERSION_1 | VirtioFeatures.RING_EVENT_IDX, rings(), irq);
            assertEquals(1, irq.needsReset.size(), lines.toString());
            assertTrue(irq.needsReset.getFirst().endsWith("the back end no longer offers features the driver took: "
                + "0x20000000"), irq.needsReset.toString());
        }
    }

    @Test
    void shouldRefuseAMissingSocket() {
        String why = assertThrows(VhostUserPeerException.class, () -> new VhostUserDevice("t", dir.resolve("no"),
            2, 1, 256, 0, null, ram, ram.memfd(), line -> { })).getMessage();
        assertEquals("vhost-user " + dir.resolve("no") + ": cannot connect (no such socket)", why);
    }

    @Test
    void shouldNoticeABackEndThatGoesAwayAndSayItOnce() throws Exception {
        answer = this::good;
        List<String> lines = new ArrayList<>();
        try (VhostUserDevice d = new VhostUserDevice("t", socket, 2, 1, 256, 0, null, ram, ram.memfd(),
            lines::add)) {
            hangUp();
            thread.join(5000);
            // The scripted back end's connection closes with its server thread gone: the watcher sees it.
            for (int i = 0; i < 200 && d.connected(); i++) {
                Thread.sleep(25);
            }
            assertFalse(d.connected());
        }
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.getFirst().contains("went away (closed or killed)"), lines.toString());
    }
}
