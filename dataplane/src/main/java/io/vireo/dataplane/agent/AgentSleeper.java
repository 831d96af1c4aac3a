package io.vireo.dataplane.agent;

/**
 * How a {@link QueueAgent} blocks when it has nothing to do, and how other threads wake it: the seam between the duty
 * cycle and the kernel. {@link EpollSleeper} is the real one; tests put a scripted one in its place and drive
 * {@link QueueAgent#doWork()} without threads or sleeps.
 */
public interface AgentSleeper extends AutoCloseable {

    /** Told once per signalled watched fd, with the value read from it (an eventfd's count). */
    @FunctionalInterface
    interface Signals {
        void signalled(int fd, long count);
    }

    /**
     * Adds an eventfd (a queue's kick or completion fd) to what {@link #await} waits for. Any thread, also while the
     * agent waits (a signal already pending ends the wait at once).
     */
    void watch(int fd);

    /**
     * Adds a descriptor whose readability (edge-triggered) ends {@link #await}, reported with count 0; it is never read
     * (a tap: reading would take a frame). Any thread.
     */
    default void watchReadiness(int fd) {
        watch(fd);
    }

    /** Removes a watched fd; false if it was not watched. On the agent's thread, so no read of it is under way. */
    boolean unwatch(int fd);

    /**
     * Blocks until a watched fd is signalled, {@link #wake()} is called, or {@code timeoutMs} pass (-1: no limit);
     * reads each signalled fd once (one {@code read} per eventfd) and reports it to {@code signals}. Returns the fds
     * that were ready (0: the time ran out). On the agent's thread.
     */
    int await(Signals signals, int timeoutMs);

    /** Ends a current or the next {@link #await} (any thread). */
    void wake();

    @Override
    void close();
}
