package io.vireo.vmm.machine;

import io.vireo.dataplane.stats.StatsSource;
import io.vireo.vmm.kvm.KvmStats;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The counters of one machine: KVM's (VM and vCPUs), the user-space exits by kind, and the data plane's
 * named {@link StatsSource}s; plus the window the guest marks with POST codes 0xB0 (begin) and 0xB1 (end).
 *
 * <p>Threads: sources may be added from any thread at any time. {@link #capture()} and the marks run on
 * any thread (a mark runs on the vCPU thread that wrote the POST code, while the other vCPUs run); they
 * are serialised on this object, so a source's {@code report} is never called concurrently with itself.
 * KVM's values come from preads of its stats fds. User-space exit counts and data plane counters are
 * plain longs their owner threads write: read from here, they are monitoring values, racy by a few
 * events at a mark, exact at the end (after the vCPUs are joined and the devices stopped).
 *
 * <p>Cost of a mark: one pread per stats fd (1 + vCPUs), a walk of the sources, a few small allocations;
 * a few tens of microseconds, once per mark. Nothing here runs on any other exit.
 */
public final class MachineStats {
    /** POST codes the guest writes to port 0x80 right before and right after its timed phase. */
    public static final int MARK_BEGIN = 0xb0;
    public static final int MARK_END = 0xb1;

    private record Source(String name, StatsSource source) {
    }

    /** The difference of two marks, and the marks themselves. */
    public record Window(StatsPoint begin, StatsPoint end) {
        public StatsPoint delta() {
            return end.minus(begin);
        }
    }

    private final KvmStats kvm;
    private final Supplier<long[]> userspaceExits;
    private final List<Source> sources = new ArrayList<>();
    private StatsPoint pendingBegin;
    private Window window;
    private long beginMarks;
    private long endMarks;
    private volatile long startNanos;
    private volatile long stopNanos;

    /**
     * @param kvm            KVM's stats of this machine, or null if not collected
     * @param userspaceExits user-space exits by kind ({@link ExitCounters#NAMES}), summed over vCPUs
     */
    public MachineStats(KvmStats kvm, Supplier<long[]> userspaceExits) {
        this.kvm = kvm;
        this.userspaceExits = userspaceExits;
    }

    /** Adds a named set of counters (e.g. "disk0"); names are unique, of letters, digits, '_', '-', '.'. */
    public synchronized void addSource(String name, StatsSource source) {
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("stats source name '" + name + "': use letters, digits, '_', '-', '.'");
        }
        for (Source s : sources) {
            if (s.name().equals(name)) {
                throw new IllegalArgumentException("stats source '" + name + "' is already registered");
            }
        }
        sources.add(new Source(name, source));
    }

    /** Removes the source named {@code name} (a hot-removed device), if there is one. */
    public synchronized void removeSource(String name) {
        sources.removeIf(s -> s.name().equals(name));
    }

    /** Every counter now. Any thread. */
    public synchronized StatsPoint capture() {
        long now = System.nanoTime();
        KvmStats.Sample k = kvm == null ? null : kvm.sample();
        long[] exits = userspaceExits.get();
        Map<String, Long> u = new LinkedHashMap<>();
        for (int i = 0; i < exits.length; i++) {
            u.put(ExitCounters.NAMES[i], exits[i]);
        }
        Map<String, Map<String, Long>> d = new LinkedHashMap<>();
        for (Source s : sources) {
            Map<String, Long> counters = new LinkedHashMap<>();
            s.source().report(counters::put);
            d.put(s.name(), counters);
        }
        return new StatsPoint(now, k, u, d);
    }

    /** POST code 0xB0: the window starts now (replacing a begin not yet ended). Any thread. */
    public synchronized void markBegin() {
        beginMarks++;
        pendingBegin = capture();
    }

    /** POST code 0xB1: ends the window begun by the latest 0xB0; ignored without one. The latest pair wins. */
    public synchronized void markEnd() {
        endMarks++;
        if (pendingBegin != null) {
            window = new Window(pendingBegin, capture());
            pendingBegin = null;
        }
    }

    /** The latest complete begin/end pair, if the guest marked one. */
    public synchronized Optional<Window> window() {
        return Optional.ofNullable(window);
    }

    public synchronized long beginMarks() {
        return beginMarks;
    }

    public synchronized long endMarks() {
        return endMarks;
    }

    /** Whether KVM's stats are collected (the machine was built with stats on). */
    public boolean kvmCollected() {
        return kvm != null;
    }

    void started() {
        startNanos = System.nanoTime();
    }

    void stopped() {
        stopNanos = System.nanoTime();
    }

    /** From the vCPUs' start to the stop of the machine (or to now, while it runs). */
    public long wallNanos() {
        long start = startNanos;
        long stop = stopNanos;
        return start == 0 ? 0 : (stop == 0 ? System.nanoTime() : stop) - start;
    }
}
