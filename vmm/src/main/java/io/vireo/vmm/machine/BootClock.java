package io.vireo.vmm.machine;

import java.lang.management.ManagementFactory;

/**
 * Boot-time milestones, in nanoTime. "Boot time" is the process start (JVM start) to the guest's
 * first instruction at CPL3, which the test guest announces with POST code 0xC3 on port 0x80 (one
 * exit, a few microseconds here); for guests that do not, the first console byte stands in.
 */
public final class BootClock {
    private volatile long processStartNanos;
    private final long machineStartNanos;
    private volatile long vcpusStartNanos;
    private volatile long cpl3Nanos;
    private volatile long firstConsoleByteNanos;
    private final java.util.List<String> setupSteps = new java.util.ArrayList<>();
    private long lastStepNanos;

    public BootClock() {
        this.machineStartNanos = System.nanoTime();
        this.lastStepNanos = machineStartNanos;
    }

    /**
     * The JVM's start on the nanoTime scale, asked for only when a report needs it: the management classes cost
     * about 100 ms of a cold JVM's start-up, which a boot should not wait for.
     */
    private long processStartNanos() {
        long start = processStartNanos;
        if (start == 0) {
            long uptimeMs = ManagementFactory.getRuntimeMXBean().getUptime();
            start = System.nanoTime() - uptimeMs * 1_000_000L;
            processStartNanos = start;
        }
        return start;
    }

    /** Ends one step of the VM set-up (builder thread only): its time goes into the --verbose breakdown. */
    void step(String name) {
        long now = System.nanoTime();
        setupSteps.add(String.format("%s %.1f", name, (now - lastStepNanos) / 1e6));
        lastStepNanos = now;
    }

    void vcpusStarting() {
        vcpusStartNanos = System.nanoTime();
    }

    void reachedCpl3() {
        if (cpl3Nanos == 0) {
            cpl3Nanos = System.nanoTime();
        }
    }

    void consoleByte() {
        if (firstConsoleByteNanos == 0) {
            firstConsoleByteNanos = System.nanoTime();
        }
    }

    /** Process start to CPL3 (or to the first console byte), in ms; -1 if neither happened. */
    public double bootMillis() {
        long end = cpl3Nanos != 0 ? cpl3Nanos : firstConsoleByteNanos;
        return end == 0 ? -1 : (end - processStartNanos()) / 1e6;
    }

    public String describe() {
        long end = cpl3Nanos != 0 ? cpl3Nanos : firstConsoleByteNanos;
        if (end == 0) {
            return "boot: the guest never reached CPL3 nor printed";
        }
        String milestone = cpl3Nanos != 0 ? "the guest's first CPL3 instruction (POST code 0xc3)"
            : "the first console byte";
        long processStart = processStartNanos();
        return String.format("boot: %.1f ms from process start to %s (JVM and CLI %.1f ms, VM setup %.1f ms,"
                + " vCPU start to milestone %.1f ms)", (end - processStart) / 1e6, milestone,
            (machineStartNanos - processStart) / 1e6, (vcpusStartNanos - machineStartNanos) / 1e6,
            (end - vcpusStartNanos) / 1e6) + (setupSteps.isEmpty() ? "" : "\nvireo: VM setup steps (ms): "
            + String.join(", ", setupSteps));
    }
}
