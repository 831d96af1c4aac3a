package io.vireo.dataplane.virtio.agent;

import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.agent.QueueAgent;
import io.vireo.dataplane.virtio.VirtioDevice;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.queue.SplitQueue;

/**
 * A virtio device whose queues are served by {@link QueueAgent}s: each queue is a {@link PolledQueue}, activated and
 * reset one by one on the thread of the agent that owns it ({@link AgentOwnedDevice} does the hand-over).
 */
public interface PolledDevice extends VirtioDevice {

    PolledQueue polledQueue(int queue);

    /** DRIVER_OK for one queue; {@code split} null when the driver left it disabled. On the owner's thread. */
    void activateQueue(int queue, long features, SplitQueue split, VirtioInterrupt interrupt);

    /** Device reset for one queue: waits for its I/O in flight, then forgets it. On the owner's thread. */
    void resetQueue(int queue);
}
