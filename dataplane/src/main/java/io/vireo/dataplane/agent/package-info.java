/**
 * Generic duty-cycle agents that poll queues: {@link io.vireo.dataplane.agent.QueueAgent} (one platform thread,
 * poll budget, arm-recheck-sleep in epoll), the {@link io.vireo.dataplane.agent.DataPlane} that places queues on agents
 * and runs them, and the {@link io.vireo.dataplane.agent.PolledQueue} contract. Knows nothing of virtio.
 */
package io.vireo.dataplane.agent;
