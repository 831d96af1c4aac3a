package io.vireo.vmm.devices;

import java.util.ArrayList;
import java.util.List;

/** A {@link PlatformControl} that records what the devices asked for. */
final class RecordingControl implements PlatformControl {
    final List<String> events = new ArrayList<>();

    @Override
    public synchronized void powerOff() {
        events.add("powerOff");
    }

    @Override
    public synchronized void reset(String source) {
        events.add("reset:" + source);
    }

    @Override
    public synchronized void debugExit(int status) {
        events.add("debugExit:" + status);
    }
}
