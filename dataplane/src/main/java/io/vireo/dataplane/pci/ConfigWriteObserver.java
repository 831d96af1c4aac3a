package io.vireo.dataplane.pci;

/**
 * Told after a guest config write touched bytes {@code [offset, offset + size)} of a watched range
 * (a capability whose registers have side effects, e.g. MSI-X Message Control). Called with the config
 * space's lock held.
 */
@FunctionalInterface
public interface ConfigWriteObserver {
    void written(int offset, int size);
}
