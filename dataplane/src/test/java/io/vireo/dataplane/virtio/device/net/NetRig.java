package io.vireo.dataplane.virtio.device.net;

import io.vireo.dataplane.virtio.device.net.backend.NetHeaderLayout;
import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.device.net.backend.LoopbackNetBackend;
import io.vireo.dataplane.virtio.device.net.backend.NetBackend;
import io.vireo.dataplane.virtio.queue.MockGuestDriver;
import io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;
import io.vireo.dataplane.virtio.queue.TestGuestMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A virtio-net device with one queue pair (or more) and its control queue, driven by {@link MockGuestDriver}s laid out
 * as Linux lays them out. Frames are built in a transmit area, receive buffers are carved from a receive area.
 */
final class NetRig implements AutoCloseable {
    static final int QUEUE_SIZE = VirtioNetDevice.QUEUE_MAX_SIZE;
    static final long RINGS = TestGuestMemory.RING_GPA;
    static final long RING_STRIDE = 0x4000;
    static final long TX_AREA = TestGuestMemory.DATA_GPA;
    static final long RX_AREA = TestGuestMemory.DATA_GPA + 0x100000;
    static final long CTRL_AREA = TestGuestMemory.DATA_GPA + 0x200000;
    static final byte[] MAC = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    static final byte[] PEER = {0x52, 0x54, 0x00, (byte) 0xab, (byte) 0xcd, (byte) 0xef};
    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final Arena arena = Arena.ofShared();
    final GuestMemory mem = TestGuestMemory.create(arena);
    final NetBackend backend;
    final VirtioNetDevice dev;
    final MockGuestDriver[] drivers;
    final SplitQueue[] queues;
    final Irq irq = new Irq();
    final long features;
    private long txNext = TX_AREA;
    private long rxNext = RX_AREA;
    /** The guest address of each posted receive buffer, by head descriptor id (per receive queue). */
    final java.util.Map<Integer, Long> rxGpa = new java.util.HashMap<>();

    /** Counts used-buffer signals per queue and resets asked for. */
    static final class Irq implements VirtioInterrupt {
        final int[] used = new int[64];
        final List<String> resets = new ArrayList<>();

        @Override
        public void signalUsed(int queue) {
            used[queue]++;
        }

        @Override
        public void signalConfigChange() {
        }

        @Override
        public void needsReset(String why) {
            resets.add(why);
        }
    }

    NetRig(long withheld) {
        this(new LoopbackNetBackend(1), 1, withheld);
    }

    NetRig(NetBackend backend, int pairs, long withheld) {
        this.backend = backend;
        this.dev = new VirtioNetDevice(backend, MAC, pairs, 0, null, "net0");
        int n = dev.queueCount();
        this.drivers = new MockGuestDriver[n];
        this.queues = new SplitQueue[n];
        this.features = dev.deviceFeatures() & ~withheld;
        boolean eventIdx = VirtioFeatures.has(features, VirtioFeatures.RING_EVENT_IDX);
        for (int q = 0; q < n; q++) {
            drivers[q] = MockGuestDriver.linux(mem, RINGS + q * RING_STRIDE, dev.queueMaxSize(q));
            queues[q] = new SplitQueue(mem, dev.queueMaxSize(q));
            drivers[q].configure(queues[q], eventIdx, true);
            assertEquals(QueueError.OK, queues[q].enable());
        }
        dev.activate(features, queues, irq);
    }

    MockGuestDriver rx(int pair) {
        return drivers[2 * pair];
    }

    MockGuestDriver tx(int pair) {
        return drivers[2 * pair + 1];
    }

    MockGuestDriver ctrl() {
        return drivers[drivers.length - 1];
    }

    MemorySegment at(long gpa, long len) {
        return mem.slice(gpa, len);
    }

    /** An Ethernet frame of {@code len} bytes from PEER to {@code dst}, payload bytes {@code seed + i}. */
    static byte[] frame(byte[] dst, int len, int seed) {
        byte[] f = new byte[len];
        System.arraycopy(dst, 0, f, 0, 6);
        System.arraycopy(PEER, 0, f, 6, 6);
        f[12] = 0x08;
        f[13] = 0x00;
        for (int i = 14; i < len; i++) {
            f[i] = (byte) (seed + i);
        }
        return f;
    }

    /** Writes a 12-byte header (all zero but flags/gso) and the frame, and queues it as one readable buffer. */
    long writeTx(byte[] frame, int flags, int gso) {
        long bytes = (NetHeaderLayout.SIZE + frame.length + 63) & ~63L;
        if (txNext + bytes > RX_AREA) {
            txNext = TX_AREA; // a ring's worth of chains in flight fits many times over
        }
        long gpa = txNext;
        txNext += bytes;
        MemorySegment h = at(gpa, NetHeaderLayout.SIZE);
        h.fill((byte) 0);
        h.set(ValueLayout.JAVA_BYTE, NetHeaderLayout.FLAGS_OFFSET, (byte) flags);
        h.set(ValueLayout.JAVA_BYTE, NetHeaderLayout.GSO_TYPE_OFFSET, (byte) gso);
        mem.write(gpa + NetHeaderLayout.SIZE, frame);
        return gpa;
    }

    /** A frame sent as header and frame in two descriptors, as Linux does without ANY_LAYOUT tricks. */
    int send(int pair, byte[] frame) {
        long gpa = writeTx(frame, 0, 0);
        return tx(pair).addChain(List.of(Buf.readable(gpa, NetHeaderLayout.SIZE),
            Buf.readable(gpa + NetHeaderLayout.SIZE, frame.length)));
    }

    /** Posts {@code n} receive buffers of {@code len} bytes each (one descriptor each, as mergeable Linux does). */
    long[] postRx(int pair, int n, int len) {
        long[] gpas = new long[n];
        for (int i = 0; i < n; i++) {
            long bytes = (len + 63) & ~63L;
            if (rxNext + bytes > CTRL_AREA) {
                rxNext = RX_AREA;
            }
            gpas[i] = rxNext;
            rxNext += bytes;
            rxGpa.put(rx(pair).addChain(List.of(Buf.writable(gpas[i], len))), gpas[i]);
        }
        return gpas;
    }

    void kickAll() {
        boolean eventIdx = VirtioFeatures.has(features, VirtioFeatures.RING_EVENT_IDX);
        for (MockGuestDriver d : drivers) {
            d.kick(eventIdx);
        }
    }

    /** Kicks every queue and lets the device serve them on this thread. */
    void run() {
        kickAll();
        for (int q = 0; q < dev.queueCount(); q++) {
            dev.processQueue(q);
        }
    }

    /** Every used element now published on queue {@code q}. */
    List<MockGuestDriver.UsedElem> used(int q) {
        List<MockGuestDriver.UsedElem> out = new ArrayList<>();
        MockGuestDriver.UsedElem e;
        while ((e = drivers[q].takeUsed()) != null) {
            out.add(e);
        }
        return out;
    }

    /**
     * The frames delivered on receive queue {@code pair} since the last call, reassembled from their buffers: header
     * (12 bytes) and frame; checks num_buffers against the buffers each took.
     */
    List<byte[]> received(int pair) {
        List<MockGuestDriver.UsedElem> used = used(2 * pair);
        List<byte[]> frames = new ArrayList<>();
        int i = 0;
        while (i < used.size()) {
            long first = rxGpa.get(used.get(i).id());
            int buffers = at(first + NetHeaderLayout.NUM_BUFFERS_OFFSET, 2).get(LE_SHORT, 0) & 0xffff;
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (int b = 0; b < buffers; b++) {
                MockGuestDriver.UsedElem e = used.get(i + b);
                out.writeBytes(mem.read(rxGpa.get(e.id()), e.len()));
            }
            frames.add(out.toByteArray());
            i += buffers;
        }
        return frames;
    }

    @Override
    public void close() {
        dev.reset();
        dev.close();
        backend.close();
        arena.close();
    }
}
