package io.vireo.bench;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.virtio.queue.DescriptorChain;
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
import java.util.concurrent.TimeUnit;

/**
 * The split ring alone, device side: {@link SplitQueue#popChain} (read avail, walk and validate the chain, direct or
 * through an indirect table) and {@link SplitQueue#pushUsed} for 32 chains, then one {@link SplitQueue#publishUsed}.
 * The guest side (avail entries and the avail idx store) is inside; {@code baseline} measures it alone.
 *
 * <p>Score: ns per chain. {@code -prof gc}: 0 B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class SplitRingBench {
    private static final int BATCH = 32;
    private static final long TABLES = TestGuestMemory.DATA_GPA;
    private static final long BUFS = TestGuestMemory.DATA_GPA + 0x10_0000;
    private static final int F_NEXT = 1;
    private static final int F_WRITE = 2;
    private static final int F_INDIRECT = 4;

    @Param({"256", "1024"})
    public int queueSize;

    /** Descriptors per chain: 3 is a block request (header, data, status); 1 a bare buffer; 8 a scattered one. */
    @Param({"1", "3", "8"})
    public int chainLength;

    /** The chain sits in an indirect table that one ring descriptor points to (VIRTIO_F_INDIRECT_DESC). */
    @Param({"false", "true"})
    public boolean indirect;

    private Arena arena;
    private MockGuestDriver driver;
    private SplitQueue queue;
    private DescriptorChain chain;
    private int[] heads;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        GuestMemory memory = TestGuestMemory.create(arena);
        driver = MockGuestDriver.linux(memory, TestGuestMemory.RING_GPA, queueSize);
        queue = driver.configure(new SplitQueue(memory, queueSize), true, indirect);
        if (queue.enable() != QueueError.OK) {
            throw new IllegalStateException("queue did not enable");
        }
        chain = new DescriptorChain(queueSize);
        heads = new int[BATCH];
        for (int c = 0; c < BATCH; c++) {
            long buf = BUFS + (long) c * 0x1000;
            if (indirect) {
                long table = TABLES + (long) c * 16 * chainLength;
                for (int i = 0; i < chainLength; i++) {
                    boolean last = i == chainLength - 1;
                    driver.writeTableDesc(table, i, buf + i * 64L, 64, (last ? 0 : F_NEXT) | (last ? F_WRITE : 0),
                        last ? 0 : i + 1);
                }
                driver.writeDesc(c, table, 16 * chainLength, F_INDIRECT, 0);
                heads[c] = c;
            } else {
                int d = c * chainLength;
                for (int i = 0; i < chainLength; i++) {
                    boolean last = i == chainLength - 1;
                    driver.writeDesc(d + i, buf + i * 64L, 64, (last ? 0 : F_NEXT) | (last ? F_WRITE : 0),
                        last ? 0 : d + i + 1);
                }
                heads[c] = d;
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** Guest publishes 32 chains; the device pops, validates and completes each, and publishes used once. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public boolean popComplete() {
        for (int i = 0; i < BATCH; i++) {
            driver.submitHead(heads[i]);
        }
        driver.kick(true);
        for (int i = 0; i < BATCH; i++) {
            if (queue.popChain(chain) != QueueError.OK) {
                throw new IllegalStateException("pop failed: " + chain.error());
            }
            queue.pushUsed(chain.headId(), 1);
        }
        return queue.publishUsed();
    }

    /** The guest side alone: subtract it from popComplete. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public boolean baseline() {
        for (int i = 0; i < BATCH; i++) {
            driver.submitHead(heads[i]);
        }
        return driver.kick(true);
    }
}
