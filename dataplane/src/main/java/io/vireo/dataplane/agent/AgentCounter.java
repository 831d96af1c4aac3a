package io.vireo.dataplane.agent;

import io.vireo.dataplane.stats.Counter;

/** The counters of one {@link QueueAgent}; {@link DataPlane#report} sums them over agents. Names as in the reports. */
public enum AgentCounter implements Counter {
    /** Calls of {@code doWork()}. */
    DUTY_CYCLES,
    /** Duty cycles that found work. */
    POLLS_WITH_WORK,
    /** Times the agent slept in epoll. */
    IDLE_SLEEPS,
    /** Sleeps skipped because the re-check after re-arming found work. */
    EARLY_WAKES,
    /** Guest kicks read from the kick eventfds. */
    KICKS,
    /** Wake-ups by a back end's completion eventfd. */
    COMPLETION_WAKES,
    /** Sleeps ended by their time limit (only while I/O is in flight: a completion signal lost to a race). */
    TIMED_WAKES,
    /** Work after an idle stretch that polling caught (no sleep): {@link PollBudget}. */
    POLL_CAUGHT,
    /** Work that came after a sleep, within the poll bound: the budget grew. */
    POLL_GROWS,
    /** Work that came after a sleep, beyond the bound, and the budget halved. */
    POLL_SHRINKS,
    /** Work that came after a sleep, beyond the bound, and the budget stayed (fewer misses in a row, or the floor). */
    POLL_MISSES,
    /** Control commands run. */
    COMMANDS,
    /** Wall time of duty cycles that found no work and did not sleep: the price of polling, on a busy CPU. */
    IDLE_POLL_NS,
    /** Times the agent was paused ({@link QueueAgent#pause}: the machine's pause). */
    PAUSES
}
