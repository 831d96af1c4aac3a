package io.vireo.dataplane.virtio;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The guest-fault log of one virtio device (its device and its transport share it): one line per fault, naming the
 * device as the user knows it ({@code disk0 (00:01.0)}), the queue, the rule broken and the value, e.g.
 *
 * <pre>disk0 (00:01.0) q0: AVAIL_IDX_CORRUPT (virtio 1.2 §2.7.6) avail idx moved by more than the queue size:
 * 0x1234; device needs reset</pre>
 *
 * <p>A hostile guest must not flood the host's log nor slow the queue agent: the first {@link #FIRST_LINES} faults of
 * a device are logged, later ones only counted, with one summary line at most every {@link #SUMMARY_INTERVAL_NS}
 * while they go on. Use it in two steps, so that the line is built only when it is logged:
 *
 * <pre>{@code if (faultLog.admit()) { faultLog.log(queue, rule, detail, consequence); }}</pre>
 *
 * <p>{@link #admit} is two atomic increments and, past the first lines, a clock read: it allocates nothing. Lines go to
 * {@link System.Logger} ({@value #LOGGER}, WARNING), which an embedder routes; Vireo's launcher hands them to a writer
 * thread, so the agent never waits for stderr. Thread-safe: the queues of one device may be on several agents.
 */
public final class FaultLog {
    /** The System.Logger name every device's fault lines use. */
    public static final String LOGGER = "io.vireo.dataplane.virtio.FaultLog";
    /** Faults logged per device before only counting. */
    public static final int FIRST_LINES = 5;
    /** At most one "N more" summary line per device per this interval. */
    public static final long SUMMARY_INTERVAL_NS = TimeUnit.SECONDS.toNanos(10);

    private static final Logger LOG = System.getLogger(LOGGER);

    private final LongSupplier nanoClock;
    private volatile String name;
    private final AtomicLong faults = new AtomicLong();
    private final AtomicLong unlogged = new AtomicLong();
    private final AtomicLong nextSummaryNs = new AtomicLong(Long.MIN_VALUE);

    /** @param name how the user knows the device, e.g. {@code disk0 (00:01.0)}; see {@link #name(String)} */
    public FaultLog(String name) {
        this(name, System::nanoTime);
    }

    /** With the clock the summary interval is measured on (tests move it by hand). */
    FaultLog(String name, LongSupplier nanoClock) {
        this.name = name;
        this.nanoClock = nanoClock;
        // Initialise the logging machinery now, not on the agent thread at the first fault.
        LOG.isLoggable(Level.WARNING);
    }

    /** Renames the device (once its PCI address is known); lines logged afterwards use the new name. */
    public void name(String newName) {
        this.name = newName;
    }

    public String name() {
        return name;
    }

    /** Every fault counted so far, logged or not. */
    public long faults() {
        return faults.get();
    }

    /**
     * Counts one fault; true when the caller should {@link #log} it (one of the first {@link #FIRST_LINES}). When not,
     * and faults went unlogged for {@link #SUMMARY_INTERVAL_NS}, logs the summary line itself.
     */
    public boolean admit() {
        long n = faults.incrementAndGet();
        if (n <= FIRST_LINES) {
            return true;
        }
        unlogged.incrementAndGet();
        long now = nanoClock.getAsLong();
        long next = nextSummaryNs.get();
        if (next == Long.MIN_VALUE) {
            // The first fault not logged: the summary comes one interval later, if faults go on.
            nextSummaryNs.compareAndSet(Long.MIN_VALUE, now + SUMMARY_INTERVAL_NS);
        } else if (now - next >= 0 && nextSummaryNs.compareAndSet(next, now + SUMMARY_INTERVAL_NS)) {
            summary();
        }
        return false;
    }

    /**
     * One fault line: {@code NAME qQUEUE: RULE: DETAIL; CONSEQUENCE}.
     *
     * @param queue       the queue, or -1 for the device as a whole
     * @param rule        what was broken, e.g. {@code AVAIL_IDX_CORRUPT (virtio 1.2 §2.7.6) avail idx moved by
     *                    more than the queue size}
     * @param detail      the values that broke it, e.g. {@code 0x1234}; empty for none
     * @param consequence what the device did, e.g. {@code device needs reset}
     */
    public void log(int queue, String rule, String detail, String consequence) {
        StringBuilder sb = new StringBuilder(160).append(name);
        if (queue >= 0) {
            sb.append(" q").append(queue);
        }
        sb.append(": ").append(rule);
        if (!detail.isEmpty()) {
            sb.append(": ").append(detail);
        }
        sb.append("; ").append(consequence);
        if (faults.get() == FIRST_LINES) {
            sb.append(" (further guest faults of this device are counted, not logged)");
        }
        LOG.log(Level.WARNING, sb.toString());
    }

    /** Logs how many faults went unlogged since the last line, if any (also at the device's close). */
    public void summary() {
        long n = unlogged.getAndSet(0);
        if (n > 0) {
            LOG.log(Level.WARNING, new StringBuilder(96).append(name).append(": ").append(n)
                .append(" more guest faults, not logged").toString());
        }
    }
}
