/** Where virtio-net frames go: a tap ({@code /dev/net/tun}) or a loopback that reflects them. */
package io.vireo.dataplane.virtio.device.net.backend;
