package io.vireo.bench;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.memory.GuestRegion;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The cost of checking a guest address range against RAM and reading from it, the first step of
 * every descriptor on the data plane. Baseline: the same read from one segment with no table.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class GuestMemoryBench {
    private static final long REGION_BYTES = 1L << 20;

    /** 1: a small guest; 2: RAM split around the PCI hole. */
    @Param({"1", "2"})
    public int regions;

    private Arena arena;
    private GuestMemory memory;
    private MemorySegment flat;
    private long[] addresses;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        List<GuestRegion> list = new ArrayList<>();
        for (int i = 0; i < regions; i++) {
            list.add(new GuestRegion((long) i << 32, arena.allocate(REGION_BYTES, 4096), -1));
        }
        memory = new GuestMemory(list);
        flat = list.get(0).segment();
        addresses = new long[1024];
        for (int i = 0; i < addresses.length; i++) {
            int region = i % regions;
            addresses[i] = ((long) region << 32) + (i * 4096L + 64) % (REGION_BYTES - 16);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public long baselineFlatSegmentRead() {
        long a = addresses[next++ & 1023] & (REGION_BYTES - 1);
        return flat.get(ValueLayout.JAVA_LONG_UNALIGNED, a);
    }

    @Benchmark
    public long checkedTranslateAndRead() {
        long gpa = addresses[next++ & 1023];
        int i = memory.regionIndex(gpa, 16);
        if (i < 0) {
            return -1;
        }
        GuestRegion r = memory.region(i);
        return r.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, gpa - r.gpa());
    }
}
