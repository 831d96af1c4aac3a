package io.vireo.dataplane.agent;

/** The counters of one {@link QueueAgent}; the lower-case name is the name in the counters file and the reports. */
public enum AgentCounter {
    DUTY_CYCLES,
    /** Duty cycles that found work. */
    POLLS_WITH_WORK,
    /** Times the agent slept in epoll. */
    IDLE_SLEEPS,
    /** Sleeps called off because work arrived while notifications were re-armed. */
    EARLY_WAKES,
    /** Guest kicks seen (eventfd counts) while asleep. */
    KICKS,
    COMPLETION_WAKES,
    COMMANDS,
    /** Wall time of duty cycles that found no work and did not sleep: the price of polling, on a busy CPU. */
    IDLE_POLL_NS
}
