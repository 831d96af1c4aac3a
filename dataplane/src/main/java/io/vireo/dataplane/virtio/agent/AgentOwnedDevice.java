package io.vireo.dataplane.virtio.agent;

import io.vireo.dataplane.agent.DataPlane;
import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.agent.QueueAgent;
import io.vireo.dataplane.virtio.VirtioDevice;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.queue.SplitQueue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link PolledDevice} as the transport sees it when {@link QueueAgent}s own its queues: activate and reset are
 * handed to each queue's owner (the transport's vCPU thread waits), and a notify that reached user space (not caught
 * by an ioeventfd) becomes a write to that queue's kick eventfd, counted: with ioeventfds in place it stays 0.
 */
public final class AgentOwnedDevice implements VirtioDevice {
    private final PolledDevice device;
    private final QueueAgent[] owners;
    private final AtomicLong userspaceNotifies = new AtomicLong();

    /** @param owners the agent of each queue, as {@link DataPlane#place} returned them */
    public AgentOwnedDevice(PolledDevice device, QueueAgent[] owners) {
        if (owners.length != device.queueCount()) {
            throw new IllegalArgumentException("one owner per queue: queues=" + device.queueCount() + ", owners="
                + owners.length);
        }
        this.device = device;
        this.owners = owners.clone();
    }

    /**
     * Places the device's polled queues on agents, each distinct one once (a virtio-net pair serves two virtqueues),
     * and returns the owner of every virtqueue.
     */
    public static QueueAgent[] place(DataPlane dataPlane, String name, PolledDevice device, long pollNs) {
        PolledQueue[] distinct = distinctQueues(device);
        return perVirtqueue(device, distinct, dataPlane.place(name, distinct, pollNs));
    }

    /** The device's polled queues, each once, in the order of the first virtqueue each serves. */
    public static PolledQueue[] distinctQueues(PolledDevice device) {
        List<PolledQueue> distinct = new ArrayList<>();
        for (int q = 0; q < device.queueCount(); q++) {
            PolledQueue pq = device.polledQueue(q);
            if (indexOf(distinct, pq) < 0) {
                distinct.add(pq);
            }
        }
        return distinct.toArray(new PolledQueue[0]);
    }

    /** The owner of each virtqueue, given {@code owners[i]} of {@code distinct[i]} ({@link #distinctQueues}). */
    public static QueueAgent[] perVirtqueue(PolledDevice device, PolledQueue[] distinct, QueueAgent[] owners) {
        List<PolledQueue> list = List.of(distinct);
        QueueAgent[] each = new QueueAgent[device.queueCount()];
        for (int q = 0; q < each.length; q++) {
            each[q] = owners[indexOf(list, device.polledQueue(q))];
        }
        return each;
    }

    private static int indexOf(List<PolledQueue> queues, PolledQueue pq) {
        for (int i = 0; i < queues.size(); i++) {
            if (queues.get(i) == pq) {
                return i;
            }
        }
        return -1;
    }

    public PolledDevice device() {
        return device;
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
        device.writeConfig(offset, size, value);
    }

    @Override
    public void activate(long features, SplitQueue[] queues, VirtioInterrupt interrupt) {
        for (int q = 0; q < owners.length; q++) {
            int queue = q;
            SplitQueue split = q < queues.length ? queues[q] : null;
            owners[q].submitAndWait(() -> device.activateQueue(queue, features, split, interrupt));
        }
        // Kicks that came before DRIVER_OK were dropped by the transport: the owners look at every queue anyway.
        for (QueueAgent owner : owners) {
            owner.wake();
        }
    }

    @Override
    public void processQueue(int queue) {
        userspaceNotifies.incrementAndGet();
        if (queue >= 0 && queue < owners.length) {
            owners[queue].wake();
        }
    }

    @Override
    public void reset() {
        for (int q = 0; q < owners.length; q++) {
            int queue = q;
            owners[q].submitAndWait(() -> device.resetQueue(queue));
        }
    }
}
