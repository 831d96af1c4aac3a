package io.vireo.bench;

import org.jctools.queues.varhandle.MpscVarHandleArrayQueue;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The command queue between threads: a vCPU (or the VMM) offers a command, the queue agent polls and runs it, as
 * {@code QueueAgent} does with its JCTools {@link MpscVarHandleArrayQueue} of 256. A {@code @Group} of one
 * producer and one consumer thread; {@link AuxCounters} count the offers refused (queue full) and the polls that found
 * nothing. Baseline: the JDK's lock-based {@link ArrayBlockingQueue} of the same capacity.
 *
 * <p>Score: throughput per thread; {@code -prof gc}: 0 B/op (the command objects are made once, in setup).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Group)
public class CommandQueueBench {
    private static final int CAPACITY = 256;

    /** {@code mpsc}: the agent's JCTools queue; {@code baseline}: ArrayBlockingQueue (a lock per offer and poll). */
    @Param({"mpsc", "baseline"})
    public String queue;

    private Queue<Runnable> q;
    private Runnable command;
    private long ran;

    @Setup(Level.Trial)
    public void setUp() {
        q = queue.equals("mpsc") ? new MpscVarHandleArrayQueue<>(CAPACITY) : new ArrayBlockingQueue<>(CAPACITY);
        command = () -> ran++;
    }

    /** Per-thread counts, reported beside the score. */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Counts {
        public long offersRefused;
        public long pollsEmpty;
    }

    @Benchmark
    @Group("commands")
    @GroupThreads(1)
    public void offer(Counts c) {
        if (!q.offer(command)) {
            c.offersRefused++;
        }
    }

    @Benchmark
    @Group("commands")
    @GroupThreads(1)
    public void pollAndRun(Counts c) {
        Runnable r = q.poll();
        if (r == null) {
            c.pollsEmpty++;
        } else {
            r.run();
        }
    }
}
