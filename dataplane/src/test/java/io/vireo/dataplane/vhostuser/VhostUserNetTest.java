package io.vireo.dataplane.vhostuser;

import io.vireo.dataplane.agent.DataPlane;
import io.vireo.dataplane.memory.MemfdGuestMemory;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.agent.AgentOwnedDevice;
import io.vireo.dataplane.virtio.device.net.NetCounter;
import io.vireo.dataplane.virtio.device.net.backend.NetFeatures;
import io.vireo.dataplane.virtio.device.net.backend.NetHeaderLayout;
import io.vireo.dataplane.virtio.device.net.VirtioNetDevice;
import io.vireo.dataplane.virtio.device.net.backend.LoopbackNetBackend;
import io.vireo.dataplane.virtio.queue.MockGuestDriver;
import io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf;
import io.vireo.sys.Libc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static io.vireo.dataplane.vhostuser.TestFrontEnd.payload;
import static io.vireo.dataplane.vhostuser.TestFrontEnd.state;
import static io.vireo.dataplane.vhostuser.TestFrontEnd.u64Payload;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.F_PROTOCOL_FEATURES;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.GET_FEATURES;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.GET_QUEUE_NUM;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.GET_VRING_BASE;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.PROTOCOL_F_MQ;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.PROTOCOL_F_REPLY_ACK;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.SET_FEATURES;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.SET_MEM_TABLE;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.SET_OWNER;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.SET_PROTOCOL_FEATURES;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.SET_VRING_ADDR;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.SET_VRING_BASE;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.SET_VRING_CALL;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.SET_VRING_ENABLE;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.SET_VRING_KICK;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.SET_VRING_NUM;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.VRING_ADDR_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The virtio-net device served over vhost-user as blk is: its pair's two vrings on one agent (placed with
 * {@link AgentOwnedDevice#place}), kicks from the front end's eventfds, a frame reflected by the loopback; and
 * GET_VRING_BASE on the receive ring gives back receive buffers the pair took but did not fill.
 */
class VhostUserNetTest {
    private static final long RAM = 1 << 20;
    private static final long UA = 0x7f00_0000_0000L;
    private static final int QSIZE = 16;
    private static final byte[] MAC = {0x52, 0x54, 0, 1, 2, 3};

    @Test
    void shouldReflectAFrameAndGiveUnfilledReceiveBuffersBackAtGetVringBase(@TempDir Path dir) {
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        LoopbackNetBackend backend = new LoopbackNetBackend(1);
        VirtioNetDevice device = new VirtioNetDevice(backend, MAC, 1, 0, null, "net0");
        DataPlane dataPlane = new DataPlane(DataPlane.Threads.PER_QUEUE, new int[0]);
        VhostUserBackendServer server = new VhostUserBackendServer(dir.resolve("net.sock"), device,
            AgentOwnedDevice.place(dataPlane, "net0", device, 1_000_000), lines::add);
        dataPlane.start();
        server.start();
        int[] kicks = {eventfd(), eventfd()};
        int[] calls = {eventfd(), eventfd()};
        try (MemfdGuestMemory ram = MemfdGuestMemory.allocate(RAM); TestFrontEnd fe = new TestFrontEnd(
            dir.resolve("net.sock"))) {
            fe.send(GET_FEATURES, false, null);
            long offered = fe.u64(GET_FEATURES);
            assertTrue((offered & NetFeatures.MRG_RXBUF) != 0);
            fe.send(SET_PROTOCOL_FEATURES, false, u64Payload(PROTOCOL_F_REPLY_ACK | PROTOCOL_F_MQ));
            assertEquals(0, fe.call(SET_FEATURES, u64Payload(VirtioFeatures.VERSION_1 | NetFeatures.MRG_RXBUF
                | F_PROTOCOL_FEATURES)));
            assertEquals(0, fe.call(SET_OWNER, null));
            fe.send(GET_QUEUE_NUM, false, null);
            assertEquals(3, fe.u64(GET_QUEUE_NUM), "receive, transmit, control");
            assertEquals(0, fe.call(SET_MEM_TABLE, payload(8 + 32).putInt(1).putInt(0).putLong(0).putLong(RAM)
                .putLong(UA).putLong(0), ram.memfd()));
            MockGuestDriver[] drivers = new MockGuestDriver[2];
            for (int q = 0; q < 2; q++) {
                drivers[q] = MockGuestDriver.linux(ram, 0x10000 + q * 0x4000L, QSIZE);
                assertEquals(0, fe.call(SET_VRING_NUM, state(q, QSIZE)));
                assertEquals(0, fe.call(SET_VRING_BASE, state(q, 0)));
                assertEquals(0, fe.call(SET_VRING_ADDR, payload(VRING_ADDR_SIZE).putInt(q).putInt(0)
                    .putLong(UA + drivers[q].descGpa()).putLong(UA + drivers[q].usedGpa())
                    .putLong(UA + drivers[q].availGpa()).putLong(0)));
                assertEquals(0, fe.call(SET_VRING_CALL, u64Payload(q), calls[q]));
                assertEquals(0, fe.call(SET_VRING_KICK, u64Payload(q), kicks[q]));
                assertEquals(0, fe.call(SET_VRING_ENABLE, state(q, 1)));
            }
            MockGuestDriver rx = drivers[0];
            MockGuestDriver tx = drivers[1];
            // One frame with room for it: it comes back with the MACs swapped.
            rx.addChain(List.of(Buf.writable(0x30000, 2048)));
            byte[] frame = new byte[NetHeaderLayout.SIZE + 100];
            System.arraycopy(MAC, 0, frame, NetHeaderLayout.SIZE, 6);
            byte[] peer = {0x52, 0x54, 0, 9, 9, 9};
            System.arraycopy(peer, 0, frame, NetHeaderLayout.SIZE + 6, 6);
            ram.write(0x20000, frame);
            tx.addChain(List.of(Buf.readable(0x20000, frame.length)));
            rx.kick(false);
            tx.kick(false);
            kick(kicks[1]);
            MockGuestDriver.UsedElem e = waitUsed(rx);
            assertEquals(frame.length, e.len());
            assertArrayEquals(peer, ram.read(0x30000 + NetHeaderLayout.SIZE, 6), "destination: the sender");
            // A 1400-byte frame and one 512-byte buffer: the pair takes the buffer and waits for more.
            rx.addChain(List.of(Buf.writable(0x31000, 512)));
            ram.write(0x20800, new byte[NetHeaderLayout.SIZE + 1400]);
            tx.addChain(List.of(Buf.readable(0x20800, NetHeaderLayout.SIZE + 1400)));
            rx.kick(false);
            tx.kick(false);
            kick(kicks[1]);
            kick(kicks[0]);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (device.sum(NetCounter.RX_STALLS) == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(device.sum(NetCounter.RX_STALLS) > 0, "the frame waits for buffers");
            fe.send(GET_VRING_BASE, false, state(0, 0));
            ByteBuffer base = fe.reply(GET_VRING_BASE);
            assertEquals(0, base.getInt());
            assertEquals(1, base.getInt(), "the stashed 512-byte buffer is not lost: the next owner pops it");
        } finally {
            server.close();
            dataPlane.close();
            device.close();
            backend.close();
            for (int fd : new int[] {kicks[0], kicks[1], calls[0], calls[1]}) {
                Libc.closeQuietly(fd);
            }
        }
        assertTrue(lines.stream().noneMatch(l -> l.contains("refused")), () -> String.join("\n", lines));
    }

    private static int eventfd() {
        return Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
    }

    private static void kick(int fd) {
        MemorySegment one = Arena.ofAuto().allocate(8, 8);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        Libc.write(fd, one, 8);
    }

    private static MockGuestDriver.UsedElem waitUsed(MockGuestDriver d) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        MockGuestDriver.UsedElem e;
        while ((e = d.takeUsed()) == null && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(e != null, "no used element in 10 s");
        return e;
    }
}
