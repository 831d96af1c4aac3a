package io.vireo.dataplane.virtio.transport.pci;

import io.vireo.dataplane.virtio.VirtioDevice;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.queue.SplitQueue;

import java.util.ArrayList;
import java.util.List;

/** A block-typed device with two queues and 8 bytes of config that records every call. */
final class FakeVirtioDevice implements VirtioDevice {
    static final long FEATURES = VirtioFeatures.VERSION_1 | VirtioFeatures.RING_EVENT_IDX
        | VirtioFeatures.RING_INDIRECT_DESC | 1L << 6 | VirtioFeatures.RING_RESET;

    final List<String> calls = new ArrayList<>();
    final byte[] configBytes = {1, 2, 3, 4, 5, 6, 7, 8};
    long activatedFeatures = -1;
    SplitQueue[] activatedQueues;
    VirtioInterrupt interrupt;

    @Override
    public int deviceType() {
        return 2;
    }

    @Override
    public long deviceFeatures() {
        return FEATURES;
    }

    @Override
    public int queueCount() {
        return 2;
    }

    @Override
    public int queueMaxSize(int queue) {
        return 256;
    }

    @Override
    public int configSize() {
        return configBytes.length;
    }

    @Override
    public int readConfig(int offset, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) {
            v |= (configBytes[offset + i] & 0xff) << (8 * i);
        }
        return v;
    }

    @Override
    public void writeConfig(int offset, int size, int value) {
        calls.add("writeConfig " + offset + " " + size + " 0x" + Integer.toHexString(value));
    }

    @Override
    public void activate(long features, SplitQueue[] queues, VirtioInterrupt interrupt) {
        calls.add("activate");
        activatedFeatures = features;
        activatedQueues = queues;
        this.interrupt = interrupt;
    }

    @Override
    public void processQueue(int queue) {
        calls.add("process " + queue);
    }

    @Override
    public void reset() {
        calls.add("reset");
        activatedQueues = null;
    }
}
