/** virtio-net: the device, its queue pairs and control queue, over a {@code backend} (tap, loopback). */
package io.vireo.dataplane.virtio.device.net;
