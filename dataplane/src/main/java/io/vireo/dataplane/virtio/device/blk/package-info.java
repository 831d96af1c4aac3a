/**
 * virtio-blk (virtio 1.2 §5.2): request parsing with a typed error per spec rule, the device and its per-queue
 * request loop, config layout and counters.
 */
package io.vireo.dataplane.virtio.device.blk;
