package io.vireo.vmm.devices;

/**
 * A device on the x86 I/O port bus. Ports are absolute; sizes are 1, 2 or 4 bytes. Called on vCPU
 * threads, possibly several at once, so implementations are thread-safe.
 */
public interface PioDevice {
    /** The value read; the bus keeps only the low {@code size} bytes. */
    int read(int port, int size);

    /** {@code value} holds {@code size} bytes, already masked by the bus. */
    void write(int port, int size, int value);
}
