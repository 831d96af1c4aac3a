/**
 * Where virtio-net frames go: a tap ({@code /dev/net/tun}) or a loopback that reflects them; and what the back ends and
 * the device share: the feature bits and the header they carry (a tap with IFF_VNET_HDR speaks it too).
 */
package io.vireo.dataplane.virtio.device.net.backend;
