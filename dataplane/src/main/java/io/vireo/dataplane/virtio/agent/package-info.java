/**
 * Virtio devices served by queue agents: {@link io.vireo.dataplane.virtio.agent.PolledDevice} (a device whose
 * queues are polled) and {@link io.vireo.dataplane.virtio.agent.AgentOwnedDevice}, which hands a transport's activate
 * and reset to the agents owning the queues.
 */
package io.vireo.dataplane.virtio.agent;
