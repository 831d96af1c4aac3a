package io.vireo.dataplane.virtio.device.net;

/**
 * {@code struct virtio_net_config} (virtio 1.2 §5.1.4), little-endian, the fields up to {@code mtu}. A field is
 * meaningful only when its feature is offered.
 *
 * <pre>
 *  off size field                 feature
 *    0  6   mac                   MAC
 *    6  2   status                STATUS (bit 0: LINK_UP)
 *    8  2   max_virtqueue_pairs   MQ
 *   10  2   mtu                   MTU
 *   12      (size)
 * </pre>
 */
public final class NetConfigLayout {
    public static final int MAC_OFFSET = 0;
    public static final int STATUS_OFFSET = 6;
    public static final int MAX_VIRTQUEUE_PAIRS_OFFSET = 8;
    public static final int MTU_OFFSET = 10;
    public static final int SIZE = 12;

    public static final int STATUS_LINK_UP = 1;

    private NetConfigLayout() {
    }
}
