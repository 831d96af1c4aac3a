package io.vireo.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@link BlkDataPlaneBench#pollBatch} timed by the thread's own CPU time instead of the wall clock: on a shared,
 * oversubscribed host JMH's wall-clock score swings by multiples (other processes preempt the benchmark thread), while
 * CPU time per request moves by a few percent. Same state and operation as the JMH benchmark; 6 s of warm-up, then
 * 30 samples of 20,000 invocations (32 requests each); prints min, p25 and median ns per request.
 *
 * <p>{@code java @etc/jvm.options -cp bench/target/classes:$(cat bench/target/classpath.txt)
 * io.vireo.bench.PollPathCpuTime [BATCH]}
 */
public final class PollPathCpuTime {
    private PollPathCpuTime() {
    }

    public static void main(String[] args) {
        BlkDataPlaneBench b = new BlkDataPlaneBench();
        b.batch = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        b.trace = "off";
        b.setUp();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sink = 0;
        long end = System.nanoTime() + 6_000_000_000L;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 10_000; i++) {
                sink += b.pollBatch();
            }
        }
        double[] ns = new double[30];
        int n = 20_000;
        for (int k = 0; k < ns.length; k++) {
            long c0 = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < n; i++) {
                sink += b.pollBatch();
            }
            ns[k] = (threads.getCurrentThreadCpuTime() - c0) / (double) n / 32;
        }
        b.tearDown();
        Arrays.sort(ns);
        System.out.printf(Locale.ROOT, "batch=%d: ns per request (thread CPU time): min %.1f  p25 %.1f  median %.1f"
            + "  (work %d)%n", b.batch, ns[0], ns[7], ns[15], sink);
    }
}
