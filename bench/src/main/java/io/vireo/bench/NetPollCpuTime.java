package io.vireo.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@link NetDataPlaneBench} timed by the thread's own CPU time (as {@link PollPathCpuTime} does for blk): on a shared,
 * oversubscribed host the wall clock swings by multiples, CPU time per frame by a few percent. 4 s of warm-up, then 30
 * samples of 10,000 invocations (32 frames each); prints min, p25 and median ns per frame and frames/s per core.
 *
 * <p>{@code java @etc/jvm.options -cp bench/target/classes:$(cat bench/target/classpath.txt)
 * io.vireo.bench.NetPollCpuTime transmit|receive|loopback [BATCH [FRAME_BYTES]]}
 */
public final class NetPollCpuTime {
    private NetPollCpuTime() {
    }

    public static void main(String[] args) {
        String mode = args.length > 0 ? args[0] : "transmit";
        NetDataPlaneBench.Rig rig = switch (mode) {
            case "transmit" -> new NetDataPlaneBench.Tx();
            case "receive" -> new NetDataPlaneBench.Rx();
            case "loopback" -> new NetDataPlaneBench.Loop();
            default -> throw new IllegalArgumentException("transmit, receive or loopback: " + mode);
        };
        rig.batch = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        rig.frameBytes = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        switch (rig) {
            case NetDataPlaneBench.Tx t -> t.init();
            case NetDataPlaneBench.Rx r -> r.init();
            case NetDataPlaneBench.Loop l -> l.init();
            default -> throw new IllegalStateException();
        }
        boolean tx = !mode.equals("receive");
        boolean rx = !mode.equals("transmit");
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sink = 0;
        long end = System.nanoTime() + 4_000_000_000L;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 10_000; i++) {
                sink += rig.run(tx, rx);
            }
        }
        double[] ns = new double[30];
        int n = 10_000;
        for (int k = 0; k < ns.length; k++) {
            long c0 = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < n; i++) {
                sink += rig.run(tx, rx);
            }
            ns[k] = (threads.getCurrentThreadCpuTime() - c0) / (double) n / 32;
        }
        rig.tearDown();
        Arrays.sort(ns);
        System.out.printf(Locale.ROOT, "%s batch=%d frame=%d: ns per frame (thread CPU time): min %.1f  p25 %.1f"
            + "  median %.1f  = %.2f M frames/s per core  (work %d)%n", mode, rig.batch, rig.frameBytes, ns[0], ns[7],
            ns[15], 1000.0 / ns[15], sink);
    }
}
