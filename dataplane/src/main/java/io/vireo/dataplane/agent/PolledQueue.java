package io.vireo.dataplane.agent;

import io.vireo.dataplane.stats.Counters;

/**
 * One virtqueue as a {@link QueueAgent} serves it: polled in the agent's duty cycle, and able to switch the guest's
 * kicks off while the agent polls and back on before it sleeps. Every method runs on the owning agent's thread.
 */
public interface PolledQueue {

    /**
     * Does whatever work is ready: reaps back-end completions, pops every new chain and starts it, submits the batch,
     * publishes used entries once and interrupts the guest at most once. Returns the work done (0 = idle).
     */
    int poll();

    /**
     * The agent polls: ask the guest not to kick (VRING_USED_F_NO_NOTIFY, or stop moving avail_event), and the back end
     * not to signal its completion eventfd.
     */
    void suppressNotifications();

    /**
     * The agent is about to sleep: ask the guest to kick and the back end to signal again, then re-check both (with the
     * fences that close the races). Returns true when work arrived meanwhile (new chains, or completions ready): the
     * agent must not sleep.
     */
    boolean armNotifications();

    /** The eventfd a guest kick of this queue signals (the KVM ioeventfd of its notify address). */
    int kickEventFd();

    /** An eventfd signalled when back-end completions are ready, or -1 when completions never wait. */
    int completionEventFd();

    /**
     * A file descriptor that becomes readable when the back end has input for this queue (a tap), slept on
     * edge-triggered and never read by the agent; -1 for none.
     */
    default int readinessFd() {
        return -1;
    }

    /**
     * Requests handed to the back end and not completed yet (0 for a queue whose work never waits): while any are, the
     * agent bounds its sleep.
     */
    default int inFlight() {
        return 0;
    }

    /**
     * Whether this queue has interrupted the guest since the last call (and forgets it): the agent asks when it goes
     * idle, because the gap before an interrupt-driven guest's next request is an interrupt round trip, which polling
     * may or may not bridge on this host, while the gap before a polling guest's is short; each kind of gap gets a
     * poll budget of its own. False for queues that never tell.
     */
    default boolean takeInterrupted() {
        return false;
    }

    /** Counters of this queue (requests, batches, interrupts, ...): written on the owner's thread, read by any. */
    Counters<?> counters();
}
