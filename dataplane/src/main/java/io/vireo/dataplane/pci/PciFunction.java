package io.vireo.dataplane.pci;

/**
 * One PCI function as the bus sees it: a config space and the registers behind its BARs. The bus calls
 * {@link #readConfig}/{@link #writeConfig} for config accesses (override them for registers with side
 * effects the config space cannot express), and the VMM's MMIO/PIO dispatch calls {@link #readBar} and
 * {@link #writeBar} with the offset inside the BAR.
 *
 * <p>All of these take guest-controlled offsets and sizes (1, 2, 4 or 8 bytes) and must not throw on them:
 * out-of-range reads return 0 (or all ones, as the device prefers), out-of-range writes are dropped.
 * Called on vCPU threads, possibly several at once.
 */
public interface PciFunction {
    PciConfigSpace config();

    /** A read of {@code size} bytes at {@code offset} in BAR {@code bar}; the low {@code size} bytes count. */
    long readBar(int bar, long offset, int size);

    /** A write of the low {@code size} bytes of {@code value} at {@code offset} in BAR {@code bar}. */
    void writeBar(int bar, long offset, int size, long value);

    default int readConfig(int offset, int size) {
        return config().read(offset, size);
    }

    default void writeConfig(int offset, int size, int value) {
        config().write(offset, size, value);
    }
}
