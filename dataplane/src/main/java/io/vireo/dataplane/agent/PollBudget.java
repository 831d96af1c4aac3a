package io.vireo.dataplane.agent;

/**
 * How long a {@link QueueAgent} keeps polling after its last work before it re-arms notifications and sleeps: adapted
 * to the gaps it sees between one piece of work and the next, within {@code [0, maxNs]}.
 *
 * <p>Each time work arrives after an idle stretch, the agent reports the gap (from the end of the last work to the
 * cycle that found the new work, sleep included) and whether it slept in between:
 * <ul>
 * <li><b>caught</b> (no sleep, gap within the budget): polling paid; the budget stays. (It costs CPU only at the end
 *     of a burst, once per idle stretch, so there is nothing to win by trimming it to the gaps.)</li>
 * <li><b>missed, reachable</b> (slept, gap at most {@code maxNs}): polling a little longer would have caught it and
 *     saved the kick, the wake-up and the eventfd read: grow to the gap plus a quarter (at least double, at least
 *     {@link #START_NS}), capped at {@code maxNs};</li>
 * <li><b>missed, out of reach</b> (gap above {@code maxNs}): polling cannot pay; halve (below {@link #START_NS}: 0).
 *     Halving rather than QEMU's reset to 0 lets one stray long gap (an interrupt that took a slow path) cost one
 *     step, not the whole budget.</li>
 * </ul>
 * QEMU's iothread ({@code poll-max-ns}, {@code poll-grow} 2, {@code poll-shrink} 0 = reset) grows by doubling from
 * 4 µs, so it needs several misses to reach a gap; this jumps to the gap at once, and it does not shrink on a caught
 * request. {@code maxNs} = 0 is event mode: never poll.
 *
 * <p>Owned by the agent's thread; plain fields.
 */
public final class PollBudget {
    /** The first non-zero budget, and the floor below which a shrinking budget becomes 0. */
    public static final long START_NS = 4_000;

    private final long maxNs;
    private long budgetNs;
    private long caught;
    private long grows;
    private long shrinks;

    /** @param maxNs the largest budget, ≥ 0; the budget starts there (the first requests are polled) */
    public PollBudget(long maxNs) {
        if (maxNs < 0) {
            throw new IllegalArgumentException("poll budget must be >= 0: " + maxNs);
        }
        this.maxNs = maxNs;
        this.budgetNs = maxNs;
    }

    /** The current budget in ns. */
    public long ns() {
        return budgetNs;
    }

    public long maxNs() {
        return maxNs;
    }

    /** Work arrived {@code gapNs} after the last work; {@code slept}: the agent slept in between. */
    public void onWork(long gapNs, boolean slept) {
        if (maxNs == 0) {
            return;
        }
        if (!slept && gapNs <= budgetNs) {
            caught++;
        } else if (gapNs <= maxNs) {
            long want = Math.max(Math.max(budgetNs << 1, gapNs + (gapNs >> 2)), START_NS);
            budgetNs = Math.min(want, maxNs);
            grows++;
        } else {
            budgetNs = budgetNs >> 1 < START_NS ? 0 : budgetNs >> 1;
            shrinks++;
        }
    }

    /** Work found by polling within the budget. */
    public long caught() {
        return caught;
    }

    public long grows() {
        return grows;
    }

    public long shrinks() {
        return shrinks;
    }
}
