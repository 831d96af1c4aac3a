package io.vireo.dataplane.pci;

/**
 * Told when the command register changes (memory/I/O decode, bus master, INTx disable), with the
 * config space's lock held, on the writing thread.
 */
@FunctionalInterface
public interface CommandListener {
    void commandChanged(int oldCommand, int newCommand);
}
