package io.vireo.bench;

import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.stats.RequestTrace;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.device.blk.BlkRequest;
import io.vireo.dataplane.virtio.device.blk.VirtioBlkDevice;
import io.vireo.dataplane.virtio.device.blk.backend.NullBackend;
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

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The queue agent's per-request path, as its duty cycle runs it: {@link PolledQueue#poll()} pops each new chain,
 * validates it, parses the virtio-blk request, builds its iovec, hands it to the null back end (which completes at
 * once), writes the status, pushes the used entry, publishes the used ring once per batch and decides on an
 * interrupt. The guest side (filling the avail ring, publishing avail idx) is inside the measurement too, as a fixed
 * cost; {@code baseline} measures it alone in the same run.
 *
 * <p>{@code trace=on} adds the request trace's record per request (the cost of {@code --trace}).
 *
 * <p>Score: ns per request (operations per invocation = batch). Run with {@code -prof gc} for B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class BlkDataPlaneBench {
    private static final int QUEUE_SIZE = VirtioBlkDevice.QUEUE_MAX_SIZE;
    private static final long BUFS = TestGuestMemory.DATA_GPA;
    private static final int DATA_BYTES = 4096;
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE_LONG =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int F_NEXT = 1;
    private static final int F_WRITE = 2;

    /** Requests per batch: 1 is QD 1 (one publish and one interrupt decision per request), 32 amortizes them. */
    @Param({"1", "32"})
    public int batch;

    /** The request trace ({@code --trace}): "on" records every request in a memory-mapped journal (wraps). */
    @Param({"off", "on"})
    public String trace;

    private Arena arena;
    private RequestTrace journal;
    private Path journalFile;
    private MockGuestDriver driver;
    private SplitQueue queue;
    private VirtioBlkDevice device;
    private NullBackend backend;
    private PolledQueue polled;
    private int[] heads;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        GuestMemory memory = TestGuestMemory.create(arena);
        driver = MockGuestDriver.linux(memory, TestGuestMemory.RING_GPA, QUEUE_SIZE);
        queue = driver.configure(new SplitQueue(memory, QUEUE_SIZE), true, true);
        if (queue.enable() != QueueError.OK) {
            throw new IllegalStateException("queue did not enable");
        }
        backend = new NullBackend(1L << 30);
        device = new VirtioBlkDevice(backend, "bench", 1);
        if (trace.equals("on")) {
            try {
                journalFile = Files.createTempFile("vireo-bench", ".trace");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            journal = RequestTrace.create(journalFile, 1 << 20, true);
            device.trace(journal, 0);
        }
        device.activate(device.deviceFeatures(), new SplitQueue[] {queue}, NO_INTERRUPT);
        polled = device.polledQueue(0);
        // Fixed chains, as a guest that reuses its request slots: header, 4 KiB read buffer, status.
        heads = new int[batch];
        for (int i = 0; i < batch; i++) {
            long base = BUFS + (long) i * 0x2000;
            MemorySegment h = memory.slice(base, 16);
            h.set(LE_INT, 0, BlkRequest.T_IN);
            h.set(LE_LONG, 8, (long) i * 8);
            int d = 3 * i;
            driver.writeDesc(d, base, 16, F_NEXT, d + 1);
            driver.writeDesc(d + 1, base + 0x1000, DATA_BYTES, F_NEXT | F_WRITE, d + 2);
            driver.writeDesc(d + 2, base + 0x800, 1, F_WRITE, 0);
            heads[i] = d;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        device.reset();
        device.close();
        backend.close();
        arena.close();
        if (journal != null) {
            journal.close();
            try {
                Files.deleteIfExists(journalFile);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Guest side + the agent's poll of one batch: pop, parse, iovec, null I/O, status, used, publish. */
    @Benchmark
    @OperationsPerInvocation(32)
    public int pollBatch() {
        int work = 0;
        // 32 requests per invocation whatever the batch size, so scores compare per request.
        for (int round = 0; round < 32 / batch; round++) {
            for (int i = 0; i < batch; i++) {
                driver.submitHead(heads[i]);
            }
            driver.kick(true);
            work += polled.poll();
        }
        return work;
    }

    /** The guest side alone (fill the avail ring, publish, kick decision): subtract it from pollBatch. */
    @Benchmark
    @OperationsPerInvocation(32)
    public boolean baseline() {
        boolean kick = false;
        for (int round = 0; round < 32 / batch; round++) {
            for (int i = 0; i < batch; i++) {
                driver.submitHead(heads[i]);
            }
            kick |= driver.kick(true);
        }
        // Each benchmark runs in its own fork: no device reads this ring, so its index may run on.
        return kick;
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
