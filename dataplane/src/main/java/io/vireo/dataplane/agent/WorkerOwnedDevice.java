package io.vireo.dataplane.agent;

import io.vireo.dataplane.virtio.VirtioDevice;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.queue.SplitQueue;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link VirtioDevice} as the transport sees it when a {@link DeviceWorker} owns the real one:
 * activate and reset run on the worker (the transport's vCPU thread waits), and a notify that
 * reached user space becomes a kick of the worker, counted: with ioeventfds in place it stays 0.
 */
public final class WorkerOwnedDevice implements VirtioDevice {
    private final VirtioDevice device;
    private DeviceWorker worker;
    private final AtomicLong userspaceNotifies = new AtomicLong();

    public WorkerOwnedDevice(VirtioDevice device) {
        this.device = device;
    }

    /** Set once, before the guest runs. */
    public void attach(DeviceWorker worker) {
        this.worker = worker;
    }

    /** Notifies that exited to user space (not caught by an ioeventfd). */
    public long userspaceNotifies() {
        return userspaceNotifies.get();
    }

    @Override
    public int deviceType() {
        return device.deviceType();
    }

    @Override
    public long deviceFeatures() {
        return device.deviceFeatures();
    }

    @Override
    public int queueCount() {
        return device.queueCount();
    }

    @Override
    public int queueMaxSize(int queue) {
        return device.queueMaxSize(queue);
    }

    @Override
    public int configSize() {
        return device.configSize();
    }

    @Override
    public int readConfig(int offset, int size) {
        return device.readConfig(offset, size);
    }

    @Override
    public void writeConfig(int offset, int size, int value) {
        worker.submitAndWait(() -> device.writeConfig(offset, size, value));
    }

    @Override
    public void activate(long features, SplitQueue[] queues, VirtioInterrupt interrupt) {
        worker.submitAndWait(() -> device.activate(features, queues, interrupt));
        // Kicks that came before DRIVER_OK were dropped by the transport: look at every queue once.
        for (int q = 0; q < queues.length; q++) {
            worker.kick(q);
        }
    }

    @Override
    public void processQueue(int queue) {
        userspaceNotifies.incrementAndGet();
        worker.kick(queue);
    }

    @Override
    public void reset() {
        worker.submitAndWait(device::reset);
    }
}
