package io.vireo.vmm.devices;

/**
 * What the platform devices ask of the machine. Implemented by the machine; called on vCPU threads from
 * inside a port write, so implementations only request the action (stop the vCPUs, then act) rather than
 * tearing the machine down on the caller's stack.
 */
public interface PlatformControl {
    /** The guest powered off (ACPI S5). */
    void powerOff();

    /** The guest asked for a reset; {@code source} names the mechanism, e.g. {@code "0xcf9"}. */
    void reset(String source);

    /**
     * The guest wrote the isa-debug-exit port: {@code status} is {@code (value << 1) | 1} as QEMU computes it;
     * the process exit status is {@code status & 0xff}.
     */
    void debugExit(int status);
}
