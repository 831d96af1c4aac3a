package io.vireo.vmm.api;

import io.vireo.vmm.machine.DeviceControl;

import java.util.Map;

/** What the API serves: a machine's control, its configuration and counters, and its shutdown. */
public interface ApiTarget {
    /** Pause, resume, the devices, hot add and remove. */
    DeviceControl control();

    /** What {@code vm.info} shows besides the state and the devices (cpus, memory). */
    Map<String, Object> config();

    /** Every counter now ({@code vm.counters}), as JSON-ready maps, lists and numbers. */
    Map<String, Object> counters();

    /** Ends the run ({@code vm.shutdown}); returns at once. */
    void shutdown();
}
