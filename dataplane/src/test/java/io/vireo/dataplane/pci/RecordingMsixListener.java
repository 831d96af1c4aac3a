package io.vireo.dataplane.pci;

import java.util.ArrayList;
import java.util.List;

/** Records every {@link MsixVectorListener} callback as a string, in order. */
final class RecordingMsixListener implements MsixVectorListener {
    final List<String> events = new ArrayList<>();

    @Override
    public void vectorChanged(int vector, long address, int data, boolean masked) {
        events.add("vector " + vector + " 0x" + Long.toHexString(address) + " 0x" + Integer.toHexString(data)
            + (masked ? " masked" : " unmasked"));
    }

    @Override
    public void functionChanged(boolean enabled, boolean functionMasked) {
        events.add("function " + (enabled ? "enabled" : "disabled") + (functionMasked ? " masked" : " unmasked"));
    }

    @Override
    public void deliverPending(int vector) {
        events.add("deliver " + vector);
    }

    List<String> drain() {
        List<String> copy = List.copyOf(events);
        events.clear();
        return copy;
    }
}
