package io.vireo.dataplane.virtio.device.net;

import io.vireo.dataplane.virtio.device.net.backend.NetHeaderLayout;
import io.vireo.dataplane.virtio.device.net.backend.NetFeatures;
import io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whatever the frame sizes, the receive buffer size, the rate at which the driver posts buffers, and hostile transmit
 * chains mixed in: every good frame comes back once, intact and in order (split over as many mergeable buffers as it
 * needs, or dropped and counted when one buffer cannot hold it without MRG_RXBUF); every transmit chain is completed;
 * no receive buffer is lost (each one posted is used or still owned by the device at the end).
 */
class NetLoopbackPropertyTest {

    @Property(tries = 60)
    void shouldDeliverEveryGoodFrameOnceAndInOrder(@ForAll @Size(min = 1, max = 40) List<@IntRange(min = 14,
        max = 1514) Integer> sizes, @ForAll @IntRange(min = 12, max = 2048) int bufferBytes,
                                                   @ForAll boolean mergeable,
                                                   @ForAll @IntRange(min = 1, max = 16) int postPerRound,
                                                   @ForAll @IntRange(min = 0, max = 5) int hostileEvery) {
        try (NetRig rig = new NetRig(mergeable ? 0 : NetFeatures.MRG_RXBUF)) {
            int hostile = 0;
            for (int i = 0; i < sizes.size(); i++) {
                rig.send(0, NetRig.frame(NetRig.MAC, sizes.get(i), i));
                if (hostileEvery > 0 && i % hostileEvery == 0) {
                    // A header cut short, then a buffer outside RAM: dropped, counted, completed.
                    long g = rig.writeTx(new byte[20], 0, 0);
                    rig.tx(0).addChain(List.of(Buf.readable(g, 5)));
                    rig.tx(0).addChain(List.of(Buf.readable(0x7000_0000L, 64)));
                    hostile += 2;
                }
            }
            rig.run();
            assertEquals(sizes.size() + hostile, rig.used(1).size(), "every transmit chain completed");
            int next = 0;
            int delivered = 0;
            int posted = 0;
            int usedBuffers = 0;
            for (int round = 0; round < 2000 && delivered + rig.dev.sum(NetCounter.RX_DROPS_NO_ROOM) < sizes.size();
                 round++) {
                int n = Math.min(postPerRound, rig.rx(0).freeDescriptors());
                rig.postRx(0, n, bufferBytes);
                posted += n;
                rig.run();
                var used = rig.used(0);
                usedBuffers += used.size();
                // Reassemble from this round's used entries (num_buffers says how many each frame took).
                int i = 0;
                while (i < used.size()) {
                    long first = rig.rxGpa.get(used.get(i).id());
                    int buffers = rig.at(first + NetHeaderLayout.NUM_BUFFERS_OFFSET, 2).get(NetRig.LE_SHORT, 0);
                    assertTrue(buffers >= 1 && (mergeable || buffers == 1), "num_buffers " + buffers);
                    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                    for (int b = 0; b < buffers; b++) {
                        var e = used.get(i + b);
                        assertTrue(e.len() <= bufferBytes);
                        out.writeBytes(rig.mem.read(rig.rxGpa.get(e.id()), e.len()));
                    }
                    i += buffers;
                    byte[] got = out.toByteArray();
                    // Skip the frames dropped for want of room (only without MRG_RXBUF, only too big ones).
                    while (!mergeable && sizes.get(next) + NetHeaderLayout.SIZE > bufferBytes) {
                        next++;
                    }
                    byte[] want = VirtioNetDeviceTest.swapped(NetRig.frame(NetRig.MAC, sizes.get(next), next));
                    assertArrayEquals(want, VirtioNetDeviceTest.payload(got), "frame " + next);
                    next++;
                    delivered++;
                }
            }
            long dropped = rig.dev.sum(NetCounter.RX_DROPS_NO_ROOM);
            long tooBig = sizes.stream().filter(s -> s + NetHeaderLayout.SIZE > bufferBytes).count();
            assertEquals(mergeable ? 0 : tooBig, dropped);
            assertEquals(sizes.size(), rig.dev.sum(NetCounter.RX_FRAMES) + dropped, "every frame delivered or counted");
            assertEquals(sizes.size(), rig.dev.sum(NetCounter.TX_FRAMES));
            assertEquals(hostile, rig.dev.sum(NetCounter.TX_DROPS_BAD_HEADER)
                + rig.dev.sum(NetCounter.TX_DROPS_MALFORMED_CHAIN));
            // No receive buffer lost: used, or still available / stashed by the device.
            int held = rig.queues[0].inFlight() + (rig.rx(0).availIdx() - rig.queues[0].lastAvailIdx());
            assertEquals(posted, usedBuffers + held, "posted = used + held");
        }
    }
}
