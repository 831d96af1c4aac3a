package io.vireo.vmm.pci;

/**
 * Registers behind a guest-physical (or port) range. {@code offset} is relative to the range's base;
 * {@code size} is 1, 2, 4 or 8. Guest-controlled: never throw, an access running past the range's end is the
 * handler's to ignore. Called on vCPU threads, possibly several at once.
 */
public interface MmioHandler {
    /** The value read; only the low {@code size} bytes count. */
    long read(long offset, int size);

    void write(long offset, int size, long value);
}
