package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.virtio.VirtioInterrupt;

import java.util.ArrayList;
import java.util.List;

/** Counts what a device signals, as a transport would see it. */
final class RecordingInterrupt implements VirtioInterrupt {
    int usedSignals;
    int configChanges;
    final List<String> resets = new ArrayList<>();

    @Override
    public void signalUsed(int queue) {
        usedSignals++;
    }

    @Override
    public void signalConfigChange() {
        configChanges++;
    }

    @Override
    public void needsReset(String why) {
        resets.add(why);
    }
}
