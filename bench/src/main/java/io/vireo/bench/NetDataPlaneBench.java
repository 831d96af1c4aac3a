package io.vireo.bench;

import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.device.net.backend.NetHeaderLayout;
import io.vireo.dataplane.virtio.device.net.VirtioNetDevice;
import io.vireo.dataplane.virtio.device.net.backend.GuestIovecs;
import io.vireo.dataplane.virtio.device.net.backend.LoopbackNetBackend;
import io.vireo.dataplane.virtio.device.net.backend.NetBackend;
import io.vireo.dataplane.virtio.device.net.backend.NetPort;
import io.vireo.dataplane.virtio.queue.MockGuestDriver;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;
import io.vireo.dataplane.virtio.queue.TestGuestMemory;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * The virtio-net queue pair's per-frame path as its agent's duty cycle runs it ({@link PolledQueue#poll()}):
 * <ul>
 *   <li>{@code transmit}: pop each transmit chain, check header and size, build the iovecs, hand the frame to a back
 *       end that takes it at once (a sink: the cost of the device, not of a tap's writev), complete, publish once.</li>
 *   <li>{@code receive}: a back end that always has a frame waiting (a source that copies it into the iovecs, as a
 *       tap's readv would): stash receive buffers, build the iovecs, fill, write num_buffers, complete, publish.</li>
 *   <li>{@code loopback}: both, through {@link LoopbackNetBackend} (every frame sent comes back with MACs swapped):
 *       two frames' worth of device work per operation, so compare it with transmit + receive.</li>
 *   <li>{@code baseline}: the guest side alone (fill the avail rings, publish, kick decision), in every score.</li>
 * </ul>
 * Score: ns per frame (32 frames per invocation); frames/s per core = 1e9 / score. Run with
 * {@code -prof gc} for B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class NetDataPlaneBench {
    private static final long RINGS = TestGuestMemory.RING_GPA;
    private static final long RING_STRIDE = 0x4000;
    private static final long TX_BUFS = TestGuestMemory.DATA_GPA;
    private static final long RX_BUFS = TestGuestMemory.DATA_GPA + 0x100000;
    private static final int RX_BUF_BYTES = 2048;
    private static final int F_WRITE = 2;
    private static final byte[] MAC = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

    /** A device with one pair over some back end, its rings driven as a Linux driver would; one per benchmark. */
    @State(Scope.Thread)
    public abstract static class Rig {
        /** Frames per kick: 1 is one publish and one interrupt decision per frame, 32 amortizes them. */
        @Param({"1", "32"})
        public int batch;

        /** Ethernet frame bytes (the 12-byte header comes on top). */
        @Param({"64", "1514"})
        public int frameBytes;

        private Arena arena;
        private NetBackend backend;
        private VirtioNetDevice device;
        private MockGuestDriver rxDriver;
        private MockGuestDriver txDriver;
        private PolledQueue pair;
        private final int[] txHeads = new int[32];
        private final int[] rxHeads = new int[32];

        /** The device over {@code be}: fixed transmit chains (one descriptor: header and frame), receive buffers. */
        void setUp(NetBackend be) {
            arena = Arena.ofShared();
            GuestMemory memory = TestGuestMemory.create(arena);
            backend = be;
            device = new VirtioNetDevice(be, MAC, 1, 0, null, "bench");
            SplitQueue[] queues = new SplitQueue[device.queueCount()];
            MockGuestDriver[] drivers = new MockGuestDriver[queues.length];
            for (int q = 0; q < queues.length; q++) {
                drivers[q] = MockGuestDriver.linux(memory, RINGS + q * RING_STRIDE, device.queueMaxSize(q));
                queues[q] = drivers[q].configure(new SplitQueue(memory, device.queueMaxSize(q)), true, true);
                if (queues[q].enable() != QueueError.OK) {
                    throw new IllegalStateException("queue " + q + " did not enable");
                }
            }
            rxDriver = drivers[0];
            txDriver = drivers[1];
            device.activate(device.deviceFeatures(), queues, NO_INTERRUPT);
            pair = device.polledQueue(0);
            byte[] frame = new byte[NetHeaderLayout.SIZE + frameBytes];
            System.arraycopy(MAC, 0, frame, NetHeaderLayout.SIZE, 6);
            System.arraycopy(MAC, 0, frame, NetHeaderLayout.SIZE + 6, 6);
            frame[NetHeaderLayout.SIZE + 12] = 0x08;
            for (int i = 0; i < 32; i++) {
                long tx = TX_BUFS + (long) i * 0x800;
                memory.write(tx, frame);
                txDriver.writeDesc(i, tx, frame.length, 0, 0);
                txHeads[i] = i;
                rxDriver.writeDesc(i, RX_BUFS + (long) i * RX_BUF_BYTES, RX_BUF_BYTES, F_WRITE, 0);
                rxHeads[i] = i;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            device.reset();
            device.close();
            backend.close();
            arena.close();
        }

        public int run(boolean tx, boolean rx) {
            int work = 0;
            // 32 frames per invocation whatever the batch, so scores compare per frame.
            for (int round = 0; round < 32 / batch; round++) {
                for (int i = 0; i < batch; i++) {
                    if (tx) {
                        txDriver.submitHead(txHeads[i]);
                    }
                    if (rx) {
                        rxDriver.submitHead(rxHeads[i]);
                    }
                }
                if (tx) {
                    txDriver.kick(true);
                }
                if (rx) {
                    rxDriver.kick(true);
                }
                work += pair.poll();
            }
            return work;
        }

        int guestOnly() {
            int kicks = 0;
            for (int round = 0; round < 32 / batch; round++) {
                for (int i = 0; i < batch; i++) {
                    txDriver.submitHead(txHeads[i]);
                }
                kicks += txDriver.kick(true) ? 1 : 0;
            }
            return kicks;
        }
    }

    /** Transmit against a sink. */
    @State(Scope.Thread)
    public static class Tx extends Rig {
        @Setup(Level.Trial)
        public void init() {
            setUp(new BenchBackend(false, 0));
        }
    }

    /** Receive from a source that always has a frame. */
    @State(Scope.Thread)
    public static class Rx extends Rig {
        @Setup(Level.Trial)
        public void init() {
            setUp(new BenchBackend(true, NetHeaderLayout.SIZE + frameBytes));
        }
    }

    /** Both, through the loopback. */
    @State(Scope.Thread)
    public static class Loop extends Rig {
        @Setup(Level.Trial)
        public void init() {
            setUp(new LoopbackNetBackend(1));
        }
    }

    @Benchmark
    @OperationsPerInvocation(32)
    public int transmit(Tx s) {
        return s.run(true, false);
    }

    @Benchmark
    @OperationsPerInvocation(32)
    public int receive(Rx s) {
        return s.run(false, true);
    }

    @Benchmark
    @OperationsPerInvocation(32)
    public int loopback(Loop s) {
        return s.run(true, true);
    }

    @Benchmark
    @OperationsPerInvocation(32)
    public int baseline(Tx s) {
        return s.guestOnly();
    }

    /**
     * A back end that costs nothing but the copy a real one makes: as a sink it takes every frame; as a source it has
     * a frame waiting as long as the receive queue has room for it (exactly {@code frames} per poll would be a
     * different measure), copied into the iovecs.
     */
    private static final class BenchBackend implements NetBackend, NetPort {
        private final boolean source;
        private final long frameBytes;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment frame;

        BenchBackend(boolean source, long frameBytes) {
            this.source = source;
            this.frameBytes = frameBytes;
            this.frame = arena.allocate(Math.max(frameBytes, 1), 8);
        }

        @Override
        public int maxPairs() {
            return 1;
        }

        @Override
        public long offloadFeatures() {
            return 0;
        }

        @Override
        public NetPort port(int pair) {
            return this;
        }

        @Override
        public void negotiated(long features) {
        }

        @Override
        public void activePairs(int pairs) {
        }

        @Override
        public String describe() {
            return source ? "source" : "sink";
        }

        @Override
        public void close() {
            arena.close();
        }

        @Override
        public boolean canSend() {
            return true;
        }

        @Override
        public int send(MemorySegment iov, int iovCount, long bytes) {
            return 0;
        }

        @Override
        public long nextFrameBytes() {
            return source ? frameBytes : 0;
        }

        @Override
        public long receive(MemorySegment iov, int iovCount) {
            return GuestIovecs.scatter(frame, 0, frameBytes, iov, iovCount);
        }

        @Override
        public void dropNext() {
        }

        @Override
        public int readinessFd() {
            return -1;
        }
    }

    private static final VirtioInterrupt NO_INTERRUPT = new VirtioInterrupt() {
        @Override
        public void signalUsed(int q) {
        }

        @Override
        public void signalConfigChange() {
        }

        @Override
        public void needsReset(String why) {
            throw new IllegalStateException("queue broke in the benchmark: " + why);
        }
    };
}
