package io.vireo.dataplane.pci;

/**
 * Told when a BAR's programmed address changes, by a guest config write or by the VMM. Called with the
 * config space's lock held, on the thread that wrote: do not call back into the config space's writers.
 *
 * <p>Every change is reported, including the transient all-ones address of the sizing protocol and the
 * half-written address between the two dword writes of a 64-bit BAR; whoever maps BARs should honour the
 * command register's decode bits ({@link CommandListener}) rather than map every reported address.
 */
@FunctionalInterface
public interface BarListener {
    void moved(int bar, long oldAddr, long newAddr);
}
