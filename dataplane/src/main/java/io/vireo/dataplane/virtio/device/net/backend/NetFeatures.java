package io.vireo.dataplane.virtio.device.net.backend;

/** virtio-net feature bits (virtio 1.2 §5.1.3; USO from virtio 1.3 draft / Linux 6.2). */
public final class NetFeatures {
    public static final long CSUM = 1L << 0;
    public static final long GUEST_CSUM = 1L << 1;
    public static final long CTRL_GUEST_OFFLOADS = 1L << 2;
    public static final long MTU = 1L << 3;
    public static final long MAC = 1L << 5;
    public static final long GUEST_TSO4 = 1L << 7;
    public static final long GUEST_TSO6 = 1L << 8;
    public static final long GUEST_ECN = 1L << 9;
    public static final long GUEST_UFO = 1L << 10;
    public static final long HOST_TSO4 = 1L << 11;
    public static final long HOST_TSO6 = 1L << 12;
    public static final long HOST_ECN = 1L << 13;
    public static final long HOST_UFO = 1L << 14;
    public static final long MRG_RXBUF = 1L << 15;
    public static final long STATUS = 1L << 16;
    public static final long CTRL_VQ = 1L << 17;
    public static final long CTRL_RX = 1L << 18;
    public static final long CTRL_VLAN = 1L << 19;
    public static final long CTRL_RX_EXTRA = 1L << 20;
    public static final long GUEST_ANNOUNCE = 1L << 21;
    public static final long MQ = 1L << 22;
    public static final long CTRL_MAC_ADDR = 1L << 23;
    public static final long GUEST_USO4 = 1L << 54;
    public static final long GUEST_USO6 = 1L << 55;
    public static final long HOST_USO = 1L << 56;

    /** The offloads a back end that carries virtio-net headers both ways (tap with IFF_VNET_HDR, loopback) offers. */
    public static final long CSUM_AND_TSO = CSUM | GUEST_CSUM | HOST_TSO4 | HOST_TSO6 | GUEST_TSO4 | GUEST_TSO6;
    /** UDP segmentation both ways, where the back end takes it. */
    public static final long USO = HOST_USO | GUEST_USO4 | GUEST_USO6;
    /** Any of these negotiated: the driver may receive frames up to 64 KiB. */
    public static final long GUEST_GSO = GUEST_TSO4 | GUEST_TSO6 | GUEST_UFO | GUEST_USO4 | GUEST_USO6;

    private NetFeatures() {
    }
}
