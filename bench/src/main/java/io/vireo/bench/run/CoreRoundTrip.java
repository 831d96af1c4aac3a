package io.vireo.bench.run;

import io.vireo.sys.Libc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The host's core-to-core cache-line round trip, measured just before each run: two threads pinned to two CPUs pass
 * a counter back and forth through two cache lines. A polling data plane pays a few such transfers per request (the
 * guest's avail entry, descriptor and header to the agent; the used entry and status back), so its latency follows
 * this figure. On a virtual host it changes with where the hypervisor puts the vCPUs: this machine's pair moves
 * between about 55, 120 and 550 ns from one minute to the next, and Vireo's warm QD 1 latency with it (0.3 µs at
 * 120 ns, 1.0 µs at 550 ns). The table shows it so that a slow round can be told from a slow VMM.
 */
public final class CoreRoundTrip {
    /** Slots 0 and 16 of the array: 128 bytes apart, never in one cache line (or one adjacent-line pair). */
    private static final int PING = 0;
    private static final int PONG = 16;
    private static final int WARM_TRIPS = 20_000;

    private CoreRoundTrip() {
    }

    /**
     * Nanoseconds per round trip between the first two CPUs this process may run on, over {@code trips} trips after
     * a short warm-up; NaN when there are fewer than two CPUs or the threads cannot be pinned. Both sides run on
     * threads of their own: the caller is never pinned (the VMs it starts next would inherit that).
     */
    public static double measureNs(int trips) {
        int[] cpus = firstTwoCpus();
        if (cpus == null) {
            return Double.NaN;
        }
        AtomicLongArray lines = new AtomicLongArray(PONG + 16);
        long total = WARM_TRIPS + (long) trips;
        boolean[] pinned = new boolean[2];
        long[] ns = new long[1];
        Thread pong = Thread.ofPlatform().name("vireo-bench-rt1").unstarted(() -> {
            pinned[1] = pin(cpus[1]);
            for (long i = 1; i <= total; i++) {
                while (lines.get(PING) != i) {
                    Thread.onSpinWait();
                }
                lines.set(PONG, i);
            }
        });
        Thread ping = Thread.ofPlatform().name("vireo-bench-rt0").unstarted(() -> {
            pinned[0] = pin(cpus[0]);
            long start = 0;
            for (long i = 1; i <= total; i++) {
                if (i == WARM_TRIPS + 1) {
                    start = System.nanoTime();
                }
                lines.set(PING, i);
                while (lines.get(PONG) != i) {
                    Thread.onSpinWait();
                }
            }
            ns[0] = System.nanoTime() - start;
        });
        pong.start();
        ping.start();
        try {
            ping.join();
            pong.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
        return pinned[0] && pinned[1] ? (double) ns[0] / trips : Double.NaN;
    }

    /** Prints the round trip in whole nanoseconds, or {@code nan} (scripts/coldstart runs it beside each VM). */
    public static void main(String[] args) {
        double ns = measureNs(args.length > 0 ? Integer.parseInt(args[0]) : 200_000);
        System.out.println(Double.isNaN(ns) ? "nan" : String.format(java.util.Locale.ROOT, "%.0f", ns));
    }

    private static boolean pin(int cpu) {
        long[] mask = new long[cpu / 64 + 1];
        mask[cpu / 64] = 1L << (cpu % 64);
        try {
            Libc.schedSetaffinity(0, mask);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The first two CPUs of {@code Cpus_allowed_list} in /proc/self/status ("0-1", "0,2-5"), or null. */
    static int[] firstTwoCpus() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("Cpus_allowed_list:")) {
                    return firstTwo(l.substring(l.indexOf(':') + 1).strip());
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    static int[] firstTwo(String list) {
        int[] two = new int[2];
        int n = 0;
        for (String part : list.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int dash = part.indexOf('-');
            int lo = Integer.parseInt(part.substring(0, dash < 0 ? part.length() : dash).strip());
            int hi = dash < 0 ? lo : Integer.parseInt(part.substring(dash + 1).strip());
            for (int c = lo; c <= hi && n < 2; c++) {
                two[n++] = c;
            }
            if (n == 2) {
                return two;
            }
        }
        return null;
    }
}
