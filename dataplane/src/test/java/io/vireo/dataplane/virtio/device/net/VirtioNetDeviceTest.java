package io.vireo.dataplane.virtio.device.net;

import io.vireo.dataplane.virtio.device.net.backend.NetHeaderLayout;
import io.vireo.dataplane.virtio.device.net.backend.NetFeatures;
import io.vireo.dataplane.virtio.device.net.backend.LoopbackNetBackend;
import io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf;
import io.vireo.dataplane.virtio.queue.MockGuestDriver.UsedElem;

import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VirtioNetDeviceTest {

    /** What the loopback sends back for {@code frame}: the MACs swapped. */
    static byte[] swapped(byte[] frame) {
        byte[] r = frame.clone();
        System.arraycopy(frame, 0, r, 6, 6);
        System.arraycopy(frame, 6, r, 0, 6);
        return r;
    }

    static byte[] payload(byte[] received) {
        return Arrays.copyOfRange(received, NetHeaderLayout.SIZE, received.length);
    }

    @Test
    void shouldReflectAFrameWithTheMacsSwappedWhenTheBackEndIsLoopback() {
        try (NetRig rig = new NetRig(0)) {
            rig.postRx(0, 8, 2048);
            byte[] f = NetRig.frame(NetRig.MAC, 100, 1);
            rig.send(0, f);
            rig.run();
            List<UsedElem> tx = rig.used(1);
            assertEquals(1, tx.size());
            assertEquals(0, tx.get(0).len());
            List<byte[]> rx = rig.received(0);
            assertEquals(1, rx.size());
            assertArrayEquals(swapped(f), payload(rx.get(0)));
            assertEquals(1, rig.dev.sum(NetCounter.TX_FRAMES));
            assertEquals(100, rig.dev.sum(NetCounter.TX_BYTES));
            assertEquals(1, rig.dev.sum(NetCounter.RX_FRAMES));
            assertEquals(100, rig.dev.sum(NetCounter.RX_BYTES));
            assertTrue(rig.irq.used[0] >= 1 && rig.irq.used[1] >= 1);
        }
    }

    @Test
    void shouldSpreadAFrameOverSeveralBuffersWithMergeableReceiveBuffers() {
        try (NetRig rig = new NetRig(0)) {
            rig.postRx(0, 8, 512);
            byte[] f = NetRig.frame(NetRig.MAC, 1500, 7);
            rig.send(0, f);
            rig.run();
            List<UsedElem> used = rig.used(0);
            assertEquals(3, used.size(), "1512 bytes in 512-byte buffers");
            assertEquals(512, used.get(0).len());
            assertEquals(512, used.get(1).len());
            assertEquals(1512 - 1024, used.get(2).len());
            long first = rig.rxGpa.get(used.get(0).id());
            assertEquals(3, rig.at(first + NetHeaderLayout.NUM_BUFFERS_OFFSET, 2).get(NetRig.LE_SHORT, 0));
        }
    }

    @Test
    void shouldPutOneFrameInOneBufferWithNumBuffersOneWithoutMergeableBuffers() {
        try (NetRig rig = new NetRig(NetFeatures.MRG_RXBUF)) {
            rig.postRx(0, 2, 1600);
            rig.postRx(0, 1, 100);
            byte[] a = NetRig.frame(NetRig.MAC, 1000, 1);
            rig.send(0, a);
            rig.run();
            List<byte[]> rx = rig.received(0);
            assertEquals(1, rx.size());
            assertArrayEquals(swapped(a), payload(rx.get(0)));
        }
    }

    @Test
    void shouldUseTheTenByteHeaderOfALegacyDriverWithoutMergeableBuffers() {
        try (NetRig rig = new NetRig(io.vireo.dataplane.virtio.VirtioFeatures.VERSION_1 | NetFeatures.MRG_RXBUF)) {
            long[] rx = rig.postRx(0, 1, 2048);
            byte[] f = NetRig.frame(NetRig.MAC, 90, 2);
            long gpa = NetRig.TX_AREA + 0x80000;
            rig.mem.write(gpa, new byte[NetHeaderLayout.LEGACY_SIZE]);
            rig.mem.write(gpa + NetHeaderLayout.LEGACY_SIZE, f);
            rig.tx(0).addChain(List.of(Buf.readable(gpa, NetHeaderLayout.LEGACY_SIZE + f.length)));
            rig.run();
            List<UsedElem> used = rig.used(0);
            assertEquals(1, used.size());
            assertEquals(NetHeaderLayout.LEGACY_SIZE + 90, used.get(0).len());
            assertArrayEquals(swapped(f), rig.mem.read(rx[0] + NetHeaderLayout.LEGACY_SIZE, 90));
        }
    }

    @Test
    void shouldKeepFramesInTheBackEndWhileTheDriverPostsNoReceiveBuffers() {
        LoopbackNetBackend loop = new LoopbackNetBackend(1);
        try (NetRig rig = new NetRig(loop, 1, 0)) {
            for (int i = 0; i < 10; i++) {
                rig.send(0, NetRig.frame(NetRig.MAC, 60 + i, i));
            }
            rig.run();
            assertEquals(10, rig.used(1).size(), "transmit completes");
            assertEquals(10, loop.waiting(0), "the frames wait in the back end");
            assertTrue(rig.dev.sum(NetCounter.RX_STALLS) > 0);
            assertEquals(0, rig.used(0).size());
            rig.postRx(0, 4, 2048);
            rig.run();
            assertEquals(4, rig.received(0).size(), "as many frames as buffers");
            assertEquals(6, loop.waiting(0));
            rig.postRx(0, 6, 2048);
            rig.run();
            List<byte[]> rest = rig.received(0);
            assertEquals(6, rest.size());
            assertEquals(60 + 9, payload(rest.get(5)).length, "in order, none lost");
            assertEquals(0, loop.waiting(0));
        }
    }

    @Test
    void shouldLeaveTransmitChainsInTheRingWhenTheLoopbackRingIsFull() {
        LoopbackNetBackend loop = new LoopbackNetBackend(1);
        try (NetRig rig = new NetRig(loop, 1, 0)) {
            int sent = 0;
            // 1514-byte frames: the 1 MiB ring holds a few hundred; the queue offers 256 chains at a time.
            for (int round = 0; round < 6; round++) {
                int n = rig.tx(0).freeDescriptors() / 2;
                for (int i = 0; i < n; i++) {
                    rig.send(0, NetRig.frame(NetRig.MAC, 1514, sent++));
                }
                rig.run();
                rig.used(1);
            }
            assertTrue(rig.dev.sum(NetCounter.TX_STALLS) > 0, "the back end pushed back");
            long delivered = 0;
            for (int round = 0; round < 200 && delivered < sent; round++) {
                rig.postRx(0, Math.min(64, rig.rx(0).freeDescriptors()), 2048);
                rig.run();
                delivered += rig.received(0).size();
                rig.used(1);
            }
            assertEquals(sent, delivered, "every frame sent came back");
            assertEquals(sent, rig.dev.sum(NetCounter.TX_FRAMES));
        }
    }

    @Test
    void shouldDropMalformedTransmitChainsCountedByReasonAndGoOn() {
        try (NetRig rig = new NetRig(NetFeatures.HOST_TSO4 | NetFeatures.HOST_TSO6 | NetFeatures.HOST_USO)) {
            rig.postRx(0, 16, 2048);
            // A header shorter than 12 bytes.
            long g = rig.writeTx(NetRig.frame(NetRig.MAC, 60, 0), 0, 0);
            rig.tx(0).addChain(List.of(Buf.readable(g, 8)));
            // A runt frame (under 14 bytes).
            rig.tx(0).addChain(List.of(Buf.readable(g, NetHeaderLayout.SIZE + 10)));
            // Larger than the MTU without segmentation offload.
            long big = rig.writeTx(NetRig.frame(NetRig.MAC, 4000, 0), 0, 0);
            rig.tx(0).addChain(List.of(Buf.readable(big, NetHeaderLayout.SIZE + 4000)));
            // Segmentation not negotiated.
            long gso = rig.writeTx(NetRig.frame(NetRig.MAC, 1000, 0), NetHeaderLayout.F_NEEDS_CSUM,
                NetHeaderLayout.GSO_TCPV4);
            rig.at(gso + NetHeaderLayout.GSO_SIZE_OFFSET, 2).set(NetRig.LE_SHORT, 0, (short) 500);
            rig.tx(0).addChain(List.of(Buf.readable(gso, NetHeaderLayout.SIZE + 1000)));
            // A checksum to complete beyond the frame.
            long cs = rig.writeTx(NetRig.frame(NetRig.MAC, 100, 0), NetHeaderLayout.F_NEEDS_CSUM, 0);
            rig.at(cs + NetHeaderLayout.CSUM_START_OFFSET, 2).set(NetRig.LE_SHORT, 0, (short) 99);
            rig.tx(0).addChain(List.of(Buf.readable(cs, NetHeaderLayout.SIZE + 100)));
            // A flag the driver may not set.
            long dv = rig.writeTx(NetRig.frame(NetRig.MAC, 100, 0), NetHeaderLayout.F_DATA_VALID, 0);
            rig.tx(0).addChain(List.of(Buf.readable(dv, NetHeaderLayout.SIZE + 100)));
            // A buffer outside guest RAM.
            rig.tx(0).addChain(List.of(Buf.readable(g, NetHeaderLayout.SIZE), Buf.readable(0x7000_0000L, 100)));
            // And a good one after all of them.
            byte[] ok = NetRig.frame(NetRig.MAC, 80, 3);
            rig.send(0, ok);
            rig.run();
            List<UsedElem> tx = rig.used(1);
            assertEquals(8, tx.size(), "every chain completed");
            for (UsedElem e : tx) {
                assertEquals(0, e.len());
            }
            assertEquals(5, rig.dev.sum(NetCounter.TX_DROPS_BAD_HEADER));
            assertEquals(1, rig.dev.sum(NetCounter.TX_DROPS_TOO_BIG));
            assertEquals(1, rig.dev.sum(NetCounter.TX_DROPS_MALFORMED_CHAIN));
            assertEquals(1, rig.dev.sum(NetCounter.TX_FRAMES));
            List<byte[]> rx = rig.received(0);
            assertEquals(1, rx.size());
            assertArrayEquals(swapped(ok), payload(rx.get(0)));
            assertTrue(rig.irq.resets.isEmpty(), "no reset for bad requests");
        }
    }

    @Test
    void shouldCompleteAMalformedReceiveChainWithLengthZeroAndUseTheNext() {
        try (NetRig rig = new NetRig(0)) {
            // A receive chain with a device-readable buffer (§5.1.6.3.1 wants writable ones).
            rig.rx(0).addChain(List.of(Buf.readable(NetRig.RX_AREA + 0x80000, 64),
                Buf.writable(NetRig.RX_AREA + 0x81000, 2048)));
            rig.postRx(0, 2, 2048);
            byte[] f = NetRig.frame(NetRig.MAC, 200, 5);
            rig.send(0, f);
            rig.run();
            List<UsedElem> used = rig.used(0);
            assertEquals(2, used.size());
            assertEquals(0, used.get(0).len());
            assertEquals(212, used.get(1).len());
            assertEquals(1, rig.dev.sum(NetCounter.RX_MALFORMED_CHAINS));
        }
    }

    @Test
    void shouldGiveStashedReceiveBuffersBackWhenTheQueueStops() {
        try (NetRig rig = new NetRig(0)) {
            rig.postRx(0, 1, 512);
            rig.send(0, NetRig.frame(NetRig.MAC, 1400, 0));
            rig.run();
            assertEquals(0, rig.used(0).size(), "one 512-byte buffer cannot hold 1412 bytes");
            assertEquals(1, rig.queues[0].lastAvailIdx(), "the buffer was taken into the stash");
            rig.dev.resetQueue(0);
            assertEquals(0, rig.queues[0].lastAvailIdx(), "and given back: a vhost-user GET_VRING_BASE loses none");
            assertEquals(0, rig.queues[0].inFlight());
        }
    }

    @Test
    void shouldFilterByDestinationOnceTheDriverTurnsPromiscuousOff() {
        try (NetRig rig = new NetRig(0)) {
            rig.postRx(0, 16, 2048);
            assertEquals(NetCtrlQueue.OK, ctrl(rig, new byte[] {NetCtrlQueue.CLASS_RX, NetCtrlQueue.CMD_RX_PROMISC,
                0}));
            byte[] multicast = {0x33, 0x33, 0, 0, 0, 1};
            byte[] tables = new byte[2 + 4 + 4 + 6];
            tables[0] = NetCtrlQueue.CLASS_MAC;
            tables[1] = NetCtrlQueue.CMD_MAC_TABLE_SET;
            tables[6] = 1;
            System.arraycopy(multicast, 0, tables, 10, 6);
            assertEquals(NetCtrlQueue.OK, ctrl(rig, tables));
            // The loopback swaps MACs: a frame sent FROM x comes back TO x.
            byte[] other = {0x52, 0x54, 0, 9, 9, 9};
            byte[] bcast = {-1, -1, -1, -1, -1, -1};
            rig.send(0, from(NetRig.MAC, 1));
            rig.send(0, from(other, 2));
            rig.send(0, from(bcast, 3));
            rig.send(0, from(multicast, 4));
            rig.send(0, from(new byte[] {0x33, 0x33, 0, 0, 0, 2}, 5));
            rig.run();
            assertEquals(3, rig.received(0).size(), "own, broadcast, the listed multicast");
            assertEquals(2, rig.dev.sum(NetCounter.RX_DROPS_FILTERED));
            assertEquals(NetCtrlQueue.OK, ctrl(rig, new byte[] {NetCtrlQueue.CLASS_RX, NetCtrlQueue.CMD_RX_ALLMULTI,
                1}));
            rig.send(0, from(new byte[] {0x33, 0x33, 0, 0, 0, 2}, 6));
            rig.run();
            assertEquals(1, rig.received(0).size(), "all-multicast");
        }
    }

    @Test
    void shouldSetQueuePairsThroughTheControlQueueWithinTheOfferedRange() {
        try (NetRig rig = new NetRig(new LoopbackNetBackend(2), 2, 0)) {
            assertEquals(5, rig.dev.queueCount());
            assertEquals(NetCtrlQueue.OK, ctrl(rig, new byte[] {NetCtrlQueue.CLASS_MQ, 0, 2, 0}));
            assertEquals(NetCtrlQueue.ERR, ctrl(rig, new byte[] {NetCtrlQueue.CLASS_MQ, 0, 3, 0}));
            assertEquals(NetCtrlQueue.ERR, ctrl(rig, new byte[] {NetCtrlQueue.CLASS_MQ, 0, 0, 0}));
            assertEquals(NetCtrlQueue.ERR, ctrl(rig, new byte[] {9, 9}));
            assertEquals(NetCtrlQueue.ERR, ctrl(rig, new byte[] {NetCtrlQueue.CLASS_MQ}));
            // Both pairs carry traffic, each counted on its own.
            rig.postRx(0, 4, 2048);
            rig.postRx(1, 4, 2048);
            rig.send(0, NetRig.frame(NetRig.MAC, 100, 0));
            rig.send(1, NetRig.frame(NetRig.MAC, 100, 0));
            rig.send(1, NetRig.frame(NetRig.MAC, 100, 0));
            rig.run();
            assertEquals(1, rig.dev.pairCounter(0, NetCounter.RX_FRAMES));
            assertEquals(2, rig.dev.pairCounter(1, NetCounter.RX_FRAMES));
        }
    }

    private static byte[] from(byte[] src, int seed) {
        byte[] f = NetRig.frame(NetRig.PEER, 64, seed);
        System.arraycopy(src, 0, f, 6, 6);
        return f;
    }

    /** Sends one control command, returns the ack byte. */
    private static byte ctrl(NetRig rig, byte[] command) {
        long gpa = NetRig.CTRL_AREA + 0x1000L * (rig.ctrl().availIdx() % 64);
        rig.mem.write(gpa, command);
        long ack = gpa + 0x800;
        rig.at(ack, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0x5a);
        rig.ctrl().addChain(List.of(Buf.readable(gpa, command.length), Buf.writable(ack, 1)));
        rig.run();
        List<UsedElem> used = rig.used(rig.dev.queueCount() - 1);
        assertEquals(1, used.size());
        assertEquals(1, used.get(0).len());
        return rig.at(ack, 1).get(ValueLayout.JAVA_BYTE, 0);
    }
}
