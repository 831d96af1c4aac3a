package io.vireo.dataplane.agent;

/**
 * How long a {@link QueueAgent} keeps polling after its last work before it re-arms notifications and sleeps: adapted
 * to the gaps it sees between one piece of work and the next, within {@code [START_NS, maxNs]}.
 *
 * <p>Each time work arrives after an idle stretch, the agent reports the gap (from the cycle of the last work to the
 * cycle that found the new work, sleep included) and whether it slept in between:
 * <ul>
 * <li><b>caught</b> (no sleep): polling paid, whatever the gap (a long one means the agent's own thread was
 *     preempted, not that the guest was slow); the budget doubles, up to {@code maxNs}. This is what brings a budget
 *     back from the floor: a gap measured across a sleep includes the wake-up latency, which on a loaded host alone
 *     exceeds the bound, so misses cannot tell that the guest's own gaps are short; catches can.</li>
 * <li><b>missed, reachable</b> (slept, gap at most {@code maxNs}): polling a little longer would have caught it and
 *     saved the kick, the wake-up and the eventfd read: grow to the gap plus a quarter (at least double), capped at
 *     {@code maxNs};</li>
 * <li><b>missed, out of reach</b> (slept, gap above {@code maxNs}): polling cannot pay; from the
 *     {@link #SHRINK_AFTER}th such miss in a row on, halve, down to {@link #START_NS}. A catch or a reachable miss in
 *     between resets the count: a guest that polls its used ring, with sub-microsecond gaps, keeps its full budget
 *     even when its vCPU thread is preempted now and then on a busy host; a guest whose every gap is longer (an
 *     interrupt round trip on this PVM host) loses it after a few requests.</li>
 * </ul>
 * The floor is not 0, unlike QEMU's iothread ({@code poll-max-ns}, {@code poll-grow} 2, {@code poll-shrink} 0: reset
 * to 0 on a long gap, then double from 4 µs per reachable miss): at 0 nothing is ever caught, and on a loaded host no
 * miss looks reachable, so a guest that polls its used ring would kick on every request for good. At 4 µs the agent
 * still catches such a guest's sub-microsecond gaps and the budget climbs back. Growth on a reachable miss jumps to
 * the gap at once, where QEMU needs several misses to reach it.
 * {@code maxNs} = 0 is event mode: never poll.
 *
 * <p>Owned by the agent's thread; plain fields.
 */
public final class PollBudget {
    /** The floor of a non-zero budget: what is left after gaps out of reach. */
    public static final long START_NS = 4_000;
    /** Out-of-reach misses in a row before the budget starts to halve. */
    public static final int SHRINK_AFTER = 4;

    private final long maxNs;
    private final long floorNs;
    private long budgetNs;
    private int missesInARow;

    /** @param maxNs the largest budget, ≥ 0; the budget starts there (the first requests are polled) */
    public PollBudget(long maxNs) {
        if (maxNs < 0) {
            throw new IllegalArgumentException("poll budget must be >= 0: " + maxNs);
        }
        this.maxNs = maxNs;
        this.budgetNs = maxNs;
        this.floorNs = Math.min(START_NS, maxNs);
    }

    /** The current budget in ns. */
    public long ns() {
        return budgetNs;
    }

    public long maxNs() {
        return maxNs;
    }

    /**
     * Work arrived {@code gapNs} after the last work; {@code slept}: the agent slept in between. Returns what the
     * budget did, as the agent's counter for it.
     */
    public AgentCounter onWork(long gapNs, boolean slept) {
        if (!slept) {
            missesInARow = 0;
            budgetNs = doubled(budgetNs);
            return AgentCounter.POLL_CAUGHT;
        }
        if (maxNs == 0) {
            return AgentCounter.POLL_MISSES;
        }
        if (gapNs <= maxNs) {
            budgetNs = Math.min(Math.max(doubled(budgetNs), gapNs + (gapNs >> 2)), maxNs);
            missesInARow = 0;
            return AgentCounter.POLL_GROWS;
        }
        if (++missesInARow >= SHRINK_AFTER && budgetNs > floorNs) {
            budgetNs = Math.max(budgetNs >> 1, floorNs);
            return AgentCounter.POLL_SHRINKS;
        }
        return AgentCounter.POLL_MISSES;
    }

    /** Twice {@code ns}, capped at the bound (no overflow with a bound near Long.MAX_VALUE). */
    private long doubled(long ns) {
        return ns > maxNs >> 1 ? maxNs : ns << 1;
    }
}
