package io.vireo.dataplane.stats;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * A queue's service times, in nanoseconds: from pop to the used entry's publication ({@link #recordService}), and
 * from back-end submission to completion ({@link #recordBackend}). Recorded on the queue's agent thread into
 * HdrHistogram {@link SingleWriterRecorder}s of fixed range (1 ns to {@value #MAX_NS} ns, values above are clamped),
 * so recording never allocates; read on another thread by {@link #sample}, which swaps the interval histograms and
 * adds them to the totals.
 */
public final class ServiceTimes {
    /** 60 s: longer service times are clamped (a request that long is reported as 60 s). */
    public static final long MAX_NS = 60_000_000_000L;
    private static final int DIGITS = 2;

    private final SingleWriterRecorder service = new SingleWriterRecorder(1, MAX_NS, DIGITS);
    private final SingleWriterRecorder backend = new SingleWriterRecorder(1, MAX_NS, DIGITS);
    private final Histogram serviceTotal = new Histogram(1, MAX_NS, DIGITS);
    private final Histogram backendTotal = new Histogram(1, MAX_NS, DIGITS);
    // Swapped with the recorders' own (a recorder takes back only histograms it handed out).
    private Histogram serviceInterval = service.getIntervalHistogram();
    private Histogram backendInterval = backend.getIntervalHistogram();

    /** Pop to used publication. Agent thread. */
    public void recordService(long ns) {
        service.recordValue(clamp(ns));
    }

    /** Back-end submit to completion. Agent thread. */
    public void recordBackend(long ns) {
        backend.recordValue(clamp(ns));
    }

    private static long clamp(long ns) {
        return ns < 1 ? 1 : Math.min(ns, MAX_NS);
    }

    /**
     * Takes what was recorded since the last sample into the totals; returns nothing, see {@link #serviceInterval()}
     * and {@link #serviceTotal()}. One reader thread at a time (synchronised).
     */
    public synchronized void sample() {
        serviceInterval = service.getIntervalHistogram(serviceInterval);
        backendInterval = backend.getIntervalHistogram(backendInterval);
        serviceTotal.add(serviceInterval);
        backendTotal.add(backendInterval);
    }

    /** The latest interval (between the last two samples). Reader thread; copy before keeping it. */
    public synchronized Histogram serviceInterval() {
        return serviceInterval.copy();
    }

    public synchronized Histogram backendInterval() {
        return backendInterval.copy();
    }

    /** Everything recorded up to the last {@link #sample}. */
    public synchronized Histogram serviceTotal() {
        return serviceTotal.copy();
    }

    public synchronized Histogram backendTotal() {
        return backendTotal.copy();
    }
}
