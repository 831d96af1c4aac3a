/**
 * What every virtio device and transport shares: the {@link io.vireo.dataplane.virtio.VirtioDevice} contract a
 * transport drives, the {@link io.vireo.dataplane.virtio.VirtioInterrupt} it hands the device, and feature bits.
 */
package io.vireo.dataplane.virtio;
